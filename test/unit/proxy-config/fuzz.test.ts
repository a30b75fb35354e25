import {expect} from 'chai'
import fc from 'fast-check'

import {ConfigError} from '../../../src/errors.js'
import type {ConfigDocument, Engine} from '../../../src/proxy-config/engine.js'
import {parseNginx, walk} from '../../../src/proxy-config/nginx/document.js'
import {nginxEngine} from '../../../src/proxy-config/nginx/engine.js'
import {perlbalEngine} from '../../../src/proxy-config/perlbal/engine.js'
import {poundEngine} from '../../../src/proxy-config/pound/engine.js'

const bytes = fc.uint8Array({maxLength: 300}).map((a) => Buffer.from(a).toString('latin1'))

/** Text made of the pieces each grammar cares about, so the fuzzer reaches the awkward paths. */
function pieces(words: string[]): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...words, ' ', '\t', '\n', '\r\n', '\r', '#', '"', "'", '\\', 'é', '\u00ff'), {maxLength: 80}).map((a) => a.join(''))
}

const grammars: [string, Engine, fc.Arbitrary<string>][] = [
  ['nginx', nginxEngine as Engine, pieces(['{', '}', ';', 'upstream', 'server', 'location', '~', 'content_by_lua_block', '--', '[[', ']]', '${', 'x', '10.0.0.1:80'])],
  ['pound', poundEngine as Engine, pieces(['ListenHTTP', 'Service', 'BackEnd', 'End', 'Address', 'Port', '80', 'Not', 'Match', 'ACL', 'Control', 'x'])],
  ['perlbal', perlbalEngine as Engine, pieces(['CREATE', 'POOL', 'SERVICE', 'ADD', 'SET', '=', 'ENABLE', 'VHOST', 'p', '10.0.0.1:80'])],
]

/** Parse must either give back the input or refuse it with a ConfigError; nothing else. */
function roundTripsOrRefuses(engine: Engine, text: string): void {
  let doc: ConfigDocument
  try {
    doc = engine.parse(text, 'fuzz.conf')
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return
  }
  expect(doc.serialize()).to.equal(text)
  engine.listBackends(doc)
  engine.listRoutes(doc)
}

describe('parsers under fuzzing', () => {
  for (const [name, engine, grammar] of grammars) {
    it(`${name}: random text in its grammar round-trips or is refused with a ConfigError`, () => {
      fc.assert(fc.property(grammar, (text) => roundTripsOrRefuses(engine, text)), {numRuns: 400})
    })
    it(`${name}: random bytes round-trip or are refused with a ConfigError`, () => {
      fc.assert(fc.property(bytes, (text) => roundTripsOrRefuses(engine, text)), {numRuns: 300})
    })
  }

  const blank = fc.constantFrom('', ' ', '\t', '  ')
  const eol = fc.constantFrom('\n', '\r\n')
  const server = fc.record({
    indent: fc.constantFrom('', '  ', '\t', '        '),
    host: fc.constantFrom('10.0.0.1', '10.0.0.2', 'app.internal', '[::1]'),
    port: fc.integer({min: 1, max: 65_535}),
    options: fc.subarray(['weight=2', 'max_fails=3', 'backup', 'down']),
    comment: fc.constantFrom('', ' # note', '\t#x'),
    after: blank,
  })
  const upstream = fc.tuple(fc.array(server, {minLength: 1, maxLength: 6}), eol, fc.boolean()).map(([servers, nl, finalNewline]) => {
    const lines = servers.map((s) => `${s.indent}server ${s.host}:${s.port}${s.options.map((o) => ` ${o}`).join('')};${s.after}${s.comment}`)
    return `upstream pool {${nl}${lines.join(nl)}${nl}}${finalNewline ? nl : ''}`
  })

  it('nginx: a block left unparsed counts the same lines as the block parsed', () => {
    fc.assert(
      fc.property(grammars[0][2], (text) => {
        let doc
        try {
          doc = parseNginx(text, 'fuzz.conf')
        } catch {
          return
        }
        const skipping = walk(doc, undefined, () => false).map((v) => v.line)
        const full = walk(parseNginx(text, 'fuzz.conf'))
          .filter((v) => v.parents.length === 0)
          .map((v) => v.line)
        expect(skipping).to.deep.equal(full)
      }),
      {numRuns: 400},
    )
  })

  it('nginx: on random upstreams, add then remove gives back the bytes and the state edits undo', () => {
    fc.assert(
      fc.property(upstream, fc.constantFrom('disabled', 'drain', 'enabled') as fc.Arbitrary<'disabled' | 'drain' | 'enabled'>, (text, state) => {
        const doc = nginxEngine.parse(text, 'u.conf')
        const outcome = nginxEngine.addServer(doc, {backend: 'pool', address: '192.0.2.77', port: 8443})
        expect(outcome.changed).to.equal(true)
        expect(doc.serialize().split(/\n/).length).to.equal(text.split(/\n/).length + 1)
        nginxEngine.setServerState(doc, 'pool', '192.0.2.77:8443', state)
        nginxEngine.setServerState(doc, 'pool', '192.0.2.77:8443', 'enabled')
        nginxEngine.removeServer(doc, 'pool', '192.0.2.77:8443')
        expect(doc.serialize()).to.equal(text)
      }),
      {numRuns: 300},
    )
  })

  it('nginx: on random upstreams, a batch of adds then the batch of removals gives back the bytes', () => {
    const ports = fc.uniqueArray(fc.integer({min: 1, max: 65_535}), {minLength: 1, maxLength: 8})
    fc.assert(
      fc.property(upstream, ports, (text, list) => {
        const doc = nginxEngine.parse(text, 'u.conf')
        const outcomes = nginxEngine.addServers(doc, list.map((port) => ({backend: 'pool', address: '192.0.2.77', port})))
        expect(outcomes.every((o) => o.changed)).to.equal(true)
        nginxEngine.removeServers(doc, 'pool', list.map((port) => `192.0.2.77:${port}`))
        expect(doc.serialize()).to.equal(text)
      }),
      {numRuns: 200},
    )
  })
})
