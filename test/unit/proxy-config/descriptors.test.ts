import {expect} from 'chai'

import {ENGINES} from '../../../src/cluster/names.js'
import {ENGINE_DESCRIPTORS} from '../../../src/proxy-config/descriptors.js'
import {detectEngine} from '../../../src/proxy-config/files.js'
import '../../../src/proxy-config/engines.js'
import {loadEngine} from '../../../src/proxy-config/registry.js'

describe('engine descriptors', () => {
  for (const name of ENGINES) {
    it(`${name}: its starter config is told as ${name}, parses, and round-trips byte for byte`, async () => {
      const descriptor = ENGINE_DESCRIPTORS[name]
      expect(descriptor.name).to.equal(name)
      const {file, text} = descriptor.starter
      expect(await detectEngine(file, text)).to.equal(name)
      const engine = await loadEngine(name)
      expect(engine.name).to.equal(name)
      expect(engine.parse(text, file).serialize()).to.equal(text)
      expect(engine.listBackends(engine.parse(text, file)).map((b) => b.name)).to.include('web')
    })
  }
})
