import {expect} from 'chai'

import {planPairAddresses, planPairLaunch} from '../../../src/cloud/pairs.js'
import type {ElasticAddress, InstanceState, ProxyInstance} from '../../../src/cloud/provider.js'

const SLOTS = [{zone: 'z-a'}, {zone: 'z-b'}, {zone: 'z-c'}]

function proxy(id: string, zone: string, pair?: string, state: InstanceState = 'running'): ProxyInstance {
  return {id, name: id, zone, state, tags: {'hactl:cluster': 'web', 'hactl:role': 'proxy', ...(pair ? {'hactl:pair': pair} : {})}}
}

function eip(n: number, instanceId?: string, pair?: string): ElasticAddress {
  return {allocationId: `eipalloc-${n}`, publicIp: `198.51.100.${n}`, instanceId, tags: {'hactl:cluster': 'web', ...(pair ? {'hactl:pair': pair} : {})}}
}

describe('pairs planner', () => {
  it('launches two members per pair, each pair across two zones, the zones evenly loaded', () => {
    const plan = planPairLaunch([], 3, SLOTS)
    expect(plan.placements).to.have.length(6)
    expect(plan.adopt).to.deep.equal([])
    for (const pair of ['pair-1', 'pair-2', 'pair-3']) {
      const zones = plan.placements.filter((p) => p.pair === pair).map((p) => p.zone)
      expect(zones, pair).to.have.length(2)
      expect(new Set(zones).size, `${pair} spans two zones`).to.equal(2)
    }
    for (const zone of ['z-a', 'z-b', 'z-c']) expect(plan.placements.filter((p) => p.zone === zone)).to.have.length(2)
  })

  it('plans nothing when every pair has its two members (a re-run launches nothing)', () => {
    const existing = [proxy('a1', 'z-a', 'pair-1'), proxy('b1', 'z-b', 'pair-1'), proxy('c1', 'z-c', 'pair-2'), proxy('a2', 'z-a', 'pair-2')]
    const plan = planPairLaunch(existing, 2, SLOTS)
    expect(plan.placements).to.deep.equal([])
    expect(plan.adopt).to.deep.equal([])
  })

  it('replaces a lost member inside its pair, in the zone the pair lacks', () => {
    const existing = [proxy('a1', 'z-a', 'pair-1'), proxy('c1', 'z-c', 'pair-2'), proxy('a2', 'z-a', 'pair-2'), proxy('b1', 'z-b', 'pair-1', 'shutting-down')]
    const plan = planPairLaunch(existing, 2, SLOTS)
    expect(plan.placements).to.have.length(1)
    expect(plan.placements[0].pair).to.equal('pair-1')
    expect(plan.placements[0].zone).to.not.equal('z-a')
  })

  it('gives proxies without a pair to the pairs (tags, no launch), each pair across two zones', () => {
    const existing = ['z-a', 'z-b', 'z-c', 'z-a', 'z-b', 'z-c'].map((z, i) => proxy(`p${i + 1}`, z))
    const plan = planPairLaunch(existing, 3, SLOTS)
    expect(plan.placements).to.deep.equal([])
    expect(plan.adopt).to.have.length(6)
    for (const pair of ['pair-1', 'pair-2', 'pair-3']) {
      const zones = plan.adopt.filter((a) => a.pair === pair).map((a) => a.zone)
      expect(new Set(zones).size, `${pair} spans two zones`).to.equal(2)
    }
  })

  it('with one zone only, both members share it and the plan says so', () => {
    const plan = planPairLaunch([], 1, [{zone: 'z-a'}])
    expect(plan.placements.map((p) => p.zone)).to.deep.equal(['z-a', 'z-a'])
    expect(plan.notes.join('\n')).to.include('only one zone')
  })

  it('one address per pair: adopts the untagged address on a member of the pair, allocates the rest', () => {
    const proxies = [proxy('a1', 'z-a', 'pair-1'), proxy('b1', 'z-b', 'pair-1'), proxy('c1', 'z-c', 'pair-2'), proxy('a2', 'z-a', 'pair-2')]
    const plan = planPairAddresses([eip(1, 'c1'), eip(2, undefined, 'pair-1')], proxies, 3)
    expect(plan.adopt).to.deep.equal([{allocationId: 'eipalloc-1', publicIp: '198.51.100.1', pair: 'pair-2'}])
    expect(plan.allocate).to.deep.equal(['pair-3'])
  })
})
