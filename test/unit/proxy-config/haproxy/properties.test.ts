import {expect} from 'chai'
import fc from 'fast-check'

import {HactlError} from '../../../../src/errors.js'
import {HaproxyDocument} from '../../../../src/proxy-config/haproxy/document.js'
import {haproxyEngine} from '../../../../src/proxy-config/haproxy/engine.js'
import {firstWord, lexFile, lexLine, withEol} from '../../../../src/proxy-config/haproxy/lexer.js'
import {binaryText, haproxyConfig} from '../../../harness/haproxy-arbitraries.js'

describe('haproxy engine: properties', () => {
  it('any config built from the grammar round-trips and lists its backends', () => {
    fc.assert(
      fc.property(haproxyConfig, ({backends, text}) => {
        const doc = haproxyEngine.parse(text, 'gen.cfg')
        expect(doc.serialize()).to.equal(text)
        expect(haproxyEngine.listBackends(doc).map((b) => b.name)).to.deep.equal(backends)
      }),
      {numRuns: 300},
    )
  })

  it('random bytes either round-trip or fail with a config error naming the file and line', () => {
    fc.assert(
      fc.property(binaryText, (text) => {
        try {
          expect(haproxyEngine.parse(text, 'rand.cfg').serialize()).to.equal(text)
        } catch (error) {
          expect(error).to.be.instanceOf(HactlError)
          expect((error as HactlError).code).to.equal('config')
          expect((error as HactlError).location?.line).to.be.a('number')
        }
      }),
      {numRuns: 1000},
    )
  })

  it('adding a server to any backend then removing it gives back the original bytes', () => {
    fc.assert(
      fc.property(
        haproxyConfig.filter((c) => c.backends.length > 0),
        fc.nat(),
        fc.integer({min: 1, max: 65_535}),
        ({backends, text}, pick, port) => {
          const doc = haproxyEngine.parse(text, 'gen.cfg')
          const backend = backends[pick % backends.length]
          const added = haproxyEngine.addServer(doc, {backend, address: '192.0.2.77', port})
          if (!added.changed) return
          expect(haproxyEngine.parse(doc.serialize(), 'gen.cfg').serialize()).to.equal(doc.serialize())
          haproxyEngine.removeServer(doc, backend, added.server!.name)
          expect(doc.serialize()).to.equal(text)
        },
      ),
      {numRuns: 300},
    )
  })

  const endpoints = fc.uniqueArray(fc.tuple(fc.integer({min: 1, max: 254}), fc.integer({min: 1, max: 65_535})), {minLength: 1, maxLength: 12, selector: ([a, p]) => `${a}:${p}`})

  it('a batch of adds gives the same bytes as the adds one by one, and removing the batch gives back the original', () => {
    fc.assert(
      fc.property(haproxyConfig.filter((c) => c.backends.length > 0), fc.nat(), endpoints, fc.boolean(), ({backends, text}, pick, list, twice) => {
        const backend = backends[pick % backends.length]
        const specs = list.map(([a, port]) => ({backend, address: `192.0.2.${a}`, port}))
        // The same server twice in one batch is added once.
        if (twice) specs.push(specs[0])
        const one = haproxyEngine.parse(text, 'gen.cfg')
        const singles = specs.map((spec) => haproxyEngine.addServer(one, spec))
        const batch = haproxyEngine.parse(text, 'gen.cfg')
        const outcomes = haproxyEngine.addServers(batch, specs)
        expect(batch.serialize()).to.equal(one.serialize())
        expect(outcomes.map((o) => o.changed)).to.deep.equal(singles.map((o) => o.changed))
        const names = outcomes.filter((o) => o.changed).map((o) => o.server!.name)
        const removed = haproxyEngine.removeServers(batch, backend, names)
        expect(removed.every((o) => o.changed)).to.equal(true)
        expect(batch.serialize()).to.equal(text)
      }),
      {numRuns: 300},
    )
  })

  it('removing a batch by name or ADDRESS:PORT gives the same bytes as removing one by one', () => {
    fc.assert(
      fc.property(haproxyConfig.filter((c) => c.backends.length > 0), fc.nat(), fc.array(fc.nat(), {maxLength: 8}), fc.boolean(), ({backends, text}, pick, which, byAddress) => {
        const backend = backends[pick % backends.length]
        const servers = haproxyEngine.listBackends(haproxyEngine.parse(text, 'gen.cfg')).find((b) => b.name === backend)!.servers
        if (servers.length === 0) return
        const refs = which.map((w) => servers[w % servers.length]).map((s) => (byAddress && s.port !== undefined ? `${s.address}:${s.port}` : s.name))
        const one = haproxyEngine.parse(text, 'gen.cfg')
        let singles: string | Error
        try {
          for (const ref of refs) haproxyEngine.removeServer(one, backend, ref)
          singles = one.serialize()
        } catch (error) {
          singles = error as Error
        }
        const batch = haproxyEngine.parse(text, 'gen.cfg')
        let batched: string | Error
        try {
          haproxyEngine.removeServers(batch, backend, refs)
          batched = batch.serialize()
        } catch (error) {
          batched = error as Error
        }
        if (typeof singles === 'string') expect(batched).to.equal(singles)
        else expect(batched).to.be.instanceOf(HactlError)
      }),
      {numRuns: 300},
    )
  })
})

describe('haproxy lexer: lines read lazily', () => {
  const piece = fc.constantFrom('backend', 'server', 'web', ' ', '\t', '#', '\\', '\\ ', '$', '${X}', '\r', 'a#b', 'x\\#y', '$x', '\\x41')
  const text = fc.array(fc.array(piece, {maxLength: 8}).map((p) => p.join('')), {maxLength: 12}).map((lines) => lines.join('\n'))

  it('a file\'s lines, read when asked for, give what lexing each line at once gives, first word included', () => {
    fc.assert(
      fc.property(text, (source) => {
        const lines = lexFile(source, 'f.cfg')
        const eager = lines.map((l) => lexLine(l.text, l.eol))
        expect(lines.map((l) => firstWord(l))).to.deep.equal(eager.map((l) => l.words[0]?.value))
        expect(lines.map((l) => ({text: l.text, eol: l.eol, indent: l.indent, words: l.words, commentAt: l.commentAt}))).to.deep.equal(eager.map((l) => ({...l})))
        expect(lines.map((l) => withEol(l, '').words)).to.deep.equal(eager.map((l) => l.words))
      }),
      {numRuns: 2000},
    )
  })

  it('the sections found from lazy lines (first character first) are those found from the lines lexed at once', () => {
    const word = fc.constantFrom('backend', 'listen', 'global', 'b\\ackend', '\\listen', 'server', 'bind', 'web', '#backend', ' ', '\t', '\\ ', '"backend"', '\r')
    const config = fc.array(fc.array(word, {maxLength: 4}).map((p) => p.join(' ')), {maxLength: 12}).map((lines) => lines.join('\n'))
    fc.assert(
      fc.property(config, (source) => {
        let lines
        try {
          lines = lexFile(source, 'f.cfg')
        } catch {
          return
        }
        const eager = lines.map((l) => lexLine(l.text, l.eol))
        expect(new HaproxyDocument('f.cfg', lines).sections()).to.deep.equal(new HaproxyDocument('f.cfg', eager).sections())
      }),
      {numRuns: 2000},
    )
  })

  // Lines of section keywords, escapes, quotes and blanks, ended by \n, \r\n, a lone \r or nothing.
  const sectionish = fc
    .array(
      fc.tuple(
        fc.array(fc.constantFrom('backend', 'listen', 'global', 'b\\ackend', '\\listen', 'server', 'bind', 'balance', 'web', '#backend', ' ', '\t', '\\ ', '"backend"', "'x'", '${A}', '\r'), {maxLength: 4}),
        fc.constantFrom('\n', '\r\n', '\r', ''),
      ),
      {maxLength: 12},
    )
    .map((lines) => lines.map(([words, end]) => words.join(' ') + end).join(''))

  it('a new backend after a last line without a line ending, not yet lexed, keeps that line readable', () => {
    const doc = haproxyEngine.parse('global\n    maxconn 10\nbackend web\n    server a 10.0.0.1:80', 'f.cfg')
    const outcome = haproxyEngine.addServer(doc, {backend: 'api', address: '10.0.0.2', port: 80, check: false, create: true})
    expect(outcome.changed).to.equal(true)
    expect(doc.serialize()).to.equal('global\n    maxconn 10\nbackend web\n    server a 10.0.0.1:80\n\nbackend api\n    server 10.0.0.2:80 10.0.0.2:80\n')
    expect(haproxyEngine.listBackends(doc).map((b) => [b.name, b.servers.map((x) => x.name)])).to.deep.equal([
      ['web', ['a']],
      ['api', ['10.0.0.2:80']],
    ])
  })

  it('the sections parse finds while lexing are those found from the lines lexed at once', () => {
    fc.assert(
      fc.property(sectionish, (source) => {
        let doc
        try {
          doc = HaproxyDocument.parse(source, 'f.cfg')
        } catch {
          return
        }
        const eager = lexFile(source, 'f.cfg').map((l) => lexLine(l.text, l.eol))
        expect(doc.sections()).to.deep.equal(new HaproxyDocument('f.cfg', eager).sections())
      }),
      {numRuns: 3000},
    )
  })

  it('serializing copies unchanged runs of lines from the text: the same bytes as joining every line, after any edits', () => {
    const edit = fc.oneof(
      fc.record({op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('    server n 10.0.0.9:80', '', 'backend new')}),
      fc.record({op: fc.constant('remove' as const), at: fc.nat()}),
      fc.record({op: fc.constant('replace' as const), at: fc.nat(), text: fc.constantFrom('    server r 10.0.0.8:80 check', '# gone')}),
      fc.record({op: fc.constant('removeMany' as const), at: fc.array(fc.nat(), {maxLength: 4})}),
    )
    fc.assert(
      fc.property(sectionish, fc.array(edit, {maxLength: 6}), (source, edits) => {
        let doc
        try {
          doc = HaproxyDocument.parse(source, 'f.cfg')
        } catch {
          return
        }
        expect(doc.serialize()).to.equal(source)
        for (const e of edits) {
          const n = doc.lines.length
          if (e.op === 'insert') doc.insertAfter(n === 0 ? -1 : (e.at % (n + 1)) - 1, e.text)
          else if (n === 0) continue
          else if (e.op === 'remove') doc.remove(e.at % n)
          else if (e.op === 'replace') doc.replace(e.at % n, e.text)
          else doc.removeMany(new Set(e.at.map((k) => k % n)))
          expect(doc.serialize()).to.equal(doc.lines.map((l) => l.text + l.eol).join(''))
        }
      }),
      {numRuns: 3000},
    )
  })
})
