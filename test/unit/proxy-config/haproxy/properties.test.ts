import {expect} from 'chai'
import fc from 'fast-check'

import {HactlError} from '../../../../src/errors.js'
import {haproxyEngine} from '../../../../src/proxy-config/haproxy/engine.js'
import {binaryText, haproxyConfig} from '../../../support/haproxy-arbitraries.js'

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
})
