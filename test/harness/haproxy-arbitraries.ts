/** fast-check generators for HAProxy configs built from its grammar, for the property tests. */
import fc from 'fast-check'

const blank = fc.constantFrom(' ', '  ', '\t', ' \t', '    ')
const eol = fc.constantFrom('\n', '\r\n')
const ident = fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/)
const plainWord = fc.stringMatching(/^[A-Za-z0-9_.:/()-]{1,10}$/)
const quoted = fc.oneof(
  fc.stringMatching(/^[^"\\\n\r$]{0,8}$/).map((s) => `"${s}"`),
  fc.stringMatching(/^[^'\n\r]{0,8}$/).map((s) => `'${s}'`),
  fc.stringMatching(/^[A-Z_]{1,6}$/).map((s) => `\${${s}}`),
  fc.constantFrom('\\ ', '\\#', 'a\\"b', '"x # y"'),
)
const word = fc.oneof({weight: 4, arbitrary: plainWord}, {weight: 1, arbitrary: quoted})
const comment = fc.stringMatching(/^[^\n\r]{0,12}$/).map((s) => `#${s}`)

/** One directive line body (without indentation and line ending). */
const directive = fc
  .tuple(
    fc.constantFrom('mode', 'balance', 'timeout', 'option', 'http-request', 'acl', 'use_backend', 'bind', 'log', 'maxconn', 'unknown-kw', 'default-server'),
    fc.array(fc.tuple(blank, word), {maxLength: 4}),
    fc.option(fc.tuple(blank, comment), {nil: undefined}),
  )
  .map(([kw, args, c]) => `${kw}${args.map(([b, w]) => b + w).join('')}${c ? c.join('') : ''}`)

const octet = fc.integer({min: 1, max: 254})
export const serverLine = fc
  .tuple(ident, octet, octet, fc.integer({min: 1, max: 65_535}), fc.subarray(['check', 'maxconn 10', 'inter 2s', 'backup', 'weight 3', 'cookie c1']))
  .map(([name, a, b, port, opts]) => `server ${name} 10.${a}.${b}.1:${port}${opts.map((o) => ` ${o}`).join('')}`)

const conditional = fc.constantFrom('.if defined(X)', '.elif streq("a","b")', '.else', '.endif', '.notice "hello"')

const bodyLine = (withServers: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    {weight: 4, arbitrary: directive},
    {weight: withServers ? 4 : 0, arbitrary: serverLine},
    {weight: 1, arbitrary: comment},
    {weight: 1, arbitrary: fc.constant('')},
    {weight: 1, arbitrary: conditional},
  )

const kinds = ['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers', 'program', 'http-errors', 'ring', 'cache'] as const

export interface GeneratedConfig {
  text: string
  backends: string[]
}

/** A config: sections of any kind with lines indented by blanks, mixed line endings, maybe no final newline. */
export const haproxyConfig: fc.Arbitrary<GeneratedConfig> = fc
  .tuple(
    fc.array(
      fc.constantFrom(...kinds).chain((kind) =>
        fc.tuple(
          fc.constant(kind),
          ident,
          fc.array(fc.tuple(blank, bodyLine(kind === 'backend' || kind === 'listen'), eol), {maxLength: 6}),
          eol,
        ),
      ),
      {maxLength: 6},
    ),
    fc.boolean(),
  )
  .map(([sections, finalNewline]) => {
    const names = new Set<string>()
    let text = ''
    const backends: string[] = []
    for (const [kind, raw, lines, headerEol] of sections) {
      const name = names.has(raw) ? `${raw}${names.size}` : raw
      names.add(name)
      if (kind === 'backend' || kind === 'listen') backends.push(name)
      text += `${kind === 'global' ? kind : `${kind} ${name}`}${headerEol}`
      for (const [indent, line, end] of lines) text += `${line === '' ? '' : indent}${line}${end}`
    }
    if (!finalNewline) text = text.replace(/\r?\n$/, '')
    return {text, backends}
  })

/** Strings of any bytes, rich in the characters the lexer cares about. */
export const binaryText = fc
  .array(
    fc.oneof(
      {weight: 3, arbitrary: fc.integer({min: 0, max: 255}).map((c) => String.fromCharCode(c))},
      {weight: 2, arbitrary: fc.constantFrom('\n', '\r\n', ' ', '\t', '"', "'", '\\', '#', '${', '}', 'server ', 'backend b\n', 'frontend f\n')},
    ),
    {maxLength: 200},
  )
  .map((parts) => parts.join(''))
