import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'

import {fillCommand, quote, quoteArgv} from '../../../src/remote/quote.js'

/** What a real POSIX shell makes of the text: each word on its own line. */
function shellWords(text: string): string[] {
  return execFileSync('sh', ['-c', `for w in ${text}; do printf '%s\\0' "$w"; done`], {encoding: 'utf8'}).split('\0').slice(0, -1)
}

describe('shell quoting', () => {
  it('any string survives a real shell as one word, byte for byte', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.integer({min: 1, max: 255}).map((c) => String.fromCharCode(c)), minLength: 1}), (value) => {
        expect(shellWords(quote(value))).to.deep.equal([value])
      }),
      {numRuns: 150},
    )
  })

  it('metacharacters in a path never run: $(...), backticks, ;, quotes, globs', () => {
    const nasty = `/tmp/it's a $(touch pwned) \`id\`; rm -rf / * "x" \n|&>`
    expect(shellWords(quoteArgv(['cp', nasty]))).to.deep.equal(['cp', nasty])
  })

  it('fills {file} in an operator command through a variable and keeps the operator\'s own shell text', () => {
    expect(fillCommand('haproxy -c -f {file} && echo ok', {file: '/etc/a b/x;y.cfg'})).to.equal(`HACTL_FILE='/etc/a b/x;y.cfg'; haproxy -c -f "$HACTL_FILE" && echo ok`)
    expect(fillCommand('echo {other}', {file: 'x'})).to.equal('echo {other}')
  })

  describe('operator templates run through a real sh', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hactl-template-'))
    const marker = path.join(dir, 'ran')
    after(() => rmSync(dir, {recursive: true, force: true}))

    // Each template prints {file} once, NUL-terminated, with {file} in a different quoting of the operator's.
    // `.` after a command substitution keeps the trailing newlines the substitution would strip.
    const templates = [
      `printf '%s\\0' {file}`,
      `printf '%s\\0' "{file}"`,
      `printf '%s\\0' "{file}"''`,
      `x="{file}"; printf '%s\\0' "$x"`,
      `x={file}; printf '%s\\0' "$x"`,
      `v="$(printf '%s.' "{file}")"; printf '%s\\0' "\${v%.}"`,
      `v=$(printf '%s.' {file}); printf '%s\\0' "\${v%.}"`,
      `v="\`printf '%s.' {file}\`"; printf '%s\\0' "\${v%.}"`,
      `# it's the operator's comment with {file}\nprintf '%s\\0' {file}`,
      `test -n "{file}" && printf '%s\\0' \\{literal} >/dev/null; printf '%s\\0' {file}`,
    ]
    const hostile = fc.oneof(
      fc.constantFrom('$(touch MARK)', '`touch MARK`', '"; touch MARK; "', "'; touch MARK; '", '$HOME', '${IFS}', '\\', '*', ' ', '\n', '"', "'", '`', '$(', ')', '{file}'),
      fc.string({unit: fc.integer({min: 1, max: 127}).map((c) => String.fromCharCode(c)), maxLength: 6}),
    )
    const pathArb = fc.array(hostile, {minLength: 1, maxLength: 6}).map((parts) => `/etc/${parts.join('')}.cfg`.replaceAll('MARK', marker))

    for (const template of templates) {
      it(`passes any path as one argument, running nothing: ${JSON.stringify(template)}`, () => {
        fc.assert(
          fc.property(pathArb, (file) => {
            const out = execFileSync('sh', ['-c', fillCommand(template, {file})], {encoding: 'utf8'})
            expect(out.split('\0').slice(0, -1)).to.deep.equal([file])
            expect(existsSync(marker), `ran shell text from ${JSON.stringify(file)}`).to.equal(false)
          }),
          {numRuns: 60},
        )
      })
    }

    it('refuses {file} inside single quotes and quotes that never close', () => {
      expect(() => fillCommand(`haproxy -c -f '{file}'`, {file: '/x'})).to.throw(/single quotes/)
      expect(() => fillCommand(`sh -c 'haproxy -f {file}'`, {file: '/x'})).to.throw(/single quotes/)
      expect(() => fillCommand(`haproxy -c -f "{file}`, {file: '/x'})).to.throw(/never closed/)
    })
  })

  it('refuses a NUL byte, which no shell word can hold', () => {
    expect(() => quote('a\0b')).to.throw(/NUL/)
  })
})
