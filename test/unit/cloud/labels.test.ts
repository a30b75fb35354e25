import {expect} from 'chai'

import {nameInstances, proxyLabels} from '../../../src/cloud/labels.js'
import {proxyNames} from '../../../src/services/proxy.js'

describe('proxy names a person reads', () => {
  it('a proxy is called by its name, with its id where two share the name, by its id when it has none', () => {
    const labels = proxyLabels([
      {id: 'i-0a1b2c3d4e5f60718', name: 'proxy-1'},
      {id: 'i-0000000000000000a', name: 'web-proxy'},
      {id: 'i-0000000000000000b', name: 'web-proxy'},
      {id: 'i-0000000000000000c'},
    ])
    expect([...labels.values()]).to.deep.equal(['proxy-1', 'web-proxy (i-0000000000000000a)', 'web-proxy (i-0000000000000000b)', 'i-0000000000000000c'])
    expect(nameInstances('move 192.0.2.1 from i-0a1b2c3d4e5f60718 to i-0000000000000000b (zone b)', labels)).to.equal('move 192.0.2.1 from proxy-1 to web-proxy (i-0000000000000000b) (zone b)')
  })

  it('new proxies get the lowest free index in their zone, never a name a proxy of the cluster has', () => {
    const placed = proxyNames('web', [{name: 'web-proxy-a-1'}, {name: 'web-proxy-b-2'}, {}], [{zone: 'a'}, {zone: 'b'}, {zone: 'a'}, {zone: 'c'}])
    expect(placed.map((p) => p.name)).to.deep.equal(['web-proxy-a-2', 'web-proxy-b-1', 'web-proxy-a-3', 'web-proxy-c-1'])
  })
})
