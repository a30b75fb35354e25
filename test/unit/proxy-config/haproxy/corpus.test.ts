import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {haproxyEngine} from '../../../../src/proxy-config/haproxy/engine.js'
import {CORPUS} from '../../../harness/cli.js'

const DIR = path.join(CORPUS, 'haproxy')
const FILES = readdirSync(DIR).filter((f) => !f.startsWith('.')).sort()

/** Lines of `after` that are not in `before`, and the count of lines that went missing, compared in order. */
function lineChanges(before: string, after: string): {added: string[]; removed: number} {
  const a = before.split('\n')
  const b = after.split('\n')
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a.at(-1 - tail) === b.at(-1 - tail)) tail++
  return {added: b.slice(head, b.length - tail), removed: a.length - head - tail}
}

describe('haproxy engine: the real-world corpus', () => {
  it('holds haproxy files', () => {
    expect(FILES.length).to.be.greaterThan(20)
  })

  for (const file of FILES) {
    const text = readFileSync(path.join(DIR, file), 'latin1')

    it(`${file} round-trips byte for byte`, () => {
      expect(haproxyEngine.parse(text, file).serialize()).to.equal(text)
    })

    const backends = haproxyEngine.listBackends(haproxyEngine.parse(text, file)).filter((b) => b.servers.length > 0)
    for (const backend of backends) {
      it(`${file}: backend ${backend.name}: add is one inserted line, remove gives back the original bytes`, () => {
        const doc = haproxyEngine.parse(text, file)
        const added = haproxyEngine.addServer(doc, {backend: backend.name, address: '127.0.0.9', port: 8099})
        expect(added.changed).to.equal(true)
        const edited = doc.serialize()
        const change = lineChanges(text, edited)
        if (text.endsWith('\n') || added.server!.line < doc.lines.length) {
          expect(change.removed, 'lines changed or removed').to.equal(0)
          expect(change.added).to.have.length(1)
        }
        expect(change.added.at(-1)).to.match(/^\s*server\s+127\.0\.0\.9:8099\s+127\.0\.0\.9:8099\b/)
        expect(haproxyEngine.addServer(doc, {backend: backend.name, address: '127.0.0.9', port: 8099}).changed, 'added twice').to.equal(false)
        expect(haproxyEngine.removeServer(doc, backend.name, '127.0.0.9:8099').changed).to.equal(true)
        expect(doc.serialize()).to.equal(text)
      })
    }
  }
})
