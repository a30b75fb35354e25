import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {CORPUS} from '../../harness/cli.js'
import type {Engine} from '../../../src/proxy-config/engine.js'
import {nginxEngine} from '../../../src/proxy-config/nginx/engine.js'
import {perlbalEngine} from '../../../src/proxy-config/perlbal/engine.js'
import {poundEngine} from '../../../src/proxy-config/pound/engine.js'
import {insertedLines} from './helpers.js'

const engines: [string, Engine, number][] = [
  // [corpus folder, engine, lines one added server takes]
  ['nginx', nginxEngine as Engine, 1],
  ['pound', poundEngine as Engine, 4],
  ['perlbal', perlbalEngine as Engine, 1],
]

for (const [folder, engine, linesPerServer] of engines) {
  describe(`${folder} corpus`, () => {
    const dir = path.join(CORPUS, folder)
    for (const file of readdirSync(dir).sort()) {
      const text = readFileSync(path.join(dir, file), 'latin1')

      it(`${file} round-trips byte for byte`, () => {
        expect(engine.parse(text, file).serialize()).to.equal(text)
      })

      it(`${file}: adding a server to each backend inserts only its lines, and removing it gives the original bytes`, () => {
        const backends = engine.listBackends(engine.parse(text, file)).filter((b) => b.servers.length > 0)
        for (const backend of backends) {
          const doc = engine.parse(text, file)
          const added = engine.addServer(doc, {backend: backend.name, address: '10.255.0.9', port: 8081})
          expect(added.changed, backend.name).to.equal(true)
          const edited = doc.serialize()
          const inserted = insertedLines(text, edited)
          expect(inserted, `${backend.name}: the edit changed more than it inserted`).to.not.equal(undefined)
          expect(inserted?.filter((l) => l.trim() !== ''), backend.name).to.have.length(linesPerServer)
          expect(inserted?.join('\n')).to.include('10.255.0.9')
          expect(engine.listBackends(doc).find((b) => b.name === backend.name)?.servers.map((s) => s.name)).to.include.members([...backend.servers.map((s) => s.name)])
          const again = engine.addServer(doc, {backend: backend.name, address: '10.255.0.9', port: 8081})
          expect(again.changed, 'adding the same server twice changes nothing').to.equal(false)
          const removed = engine.removeServer(doc, backend.name, '10.255.0.9:8081')
          expect(removed.changed).to.equal(true)
          expect(doc.serialize(), backend.name).to.equal(text)
        }
      })
    }
  })
}
