import {expect} from 'chai'
import fc from 'fast-check'

import type {ElasticAddress, InstanceState, ProxyInstance} from '../../../src/cloud/provider.js'
import {
  HOUR_MS,
  planFailover,
  planPreempt,
  planRebalance,
  rebalanceOutlook,
  type FailoverAction,
  type FailoverPolicy,
  type Health,
  type ObservedPool,
} from '../../../src/failover/planner.js'

const NOW = 10 * HOUR_MS

function proxy(id: string, zone: string, state: InstanceState = 'running', tags: Record<string, string> = {}): ProxyInstance {
  return {id, zone, state, tags: {'hactl:cluster': 'web', 'hactl:role': 'proxy', ...tags}}
}

function eip(n: number, instanceId?: string, tags: Record<string, string> = {}): ElasticAddress {
  return {allocationId: `eipalloc-${n}`, publicIp: `198.51.100.${n}`, instanceId, tags: {'hactl:cluster': 'web', 'hactl:role': 'address', ...tags}}
}

function policy(overrides: Partial<FailoverPolicy> = {}): FailoverPolicy {
  return {now: NOW, topology: 'pool', holdDownMs: 60_000, maxRemapsPerHour: 10, remaps: [], lostAt: {}, healthySince: {}, ...overrides}
}

function view(proxies: ProxyInstance[], addresses: ElasticAddress[], health: Record<string, Health>, complete = true): ObservedPool {
  return {proxies, addresses, health, complete}
}

const associations = (actions: FailoverAction[]): {allocationId: string; to: string}[] =>
  actions.flatMap((a) => (a.kind === 'associate' ? [{allocationId: a.allocationId, to: a.to}] : []))

/** Three proxies over three zones, one EIP each; the first one down. */
function poolWithOneDown(): ObservedPool {
  return view(
    [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
    [eip(1, 'i-a'), eip(2, 'i-b'), eip(3, 'i-c')],
    {'i-a': 'unhealthy', 'i-b': 'healthy', 'i-c': 'healthy'},
  )
}

describe('failover planner', () => {
  it('moves the EIP of a stopped proxy to a healthy proxy in another zone, and nothing else', () => {
    const plan = planFailover(poolWithOneDown(), policy())
    expect(plan.actions).to.have.length(1)
    const [move] = plan.actions
    expect(move).to.deep.include({kind: 'associate', allocationId: 'eipalloc-1', from: 'i-a', to: 'i-b', toZone: 'z-b'})
  })

  it('plans nothing when every EIP is on a healthy proxy (a re-run changes nothing)', () => {
    const healthy = view([proxy('i-a', 'z-a'), proxy('i-b', 'z-b')], [eip(1, 'i-a'), eip(2, 'i-b')], {'i-a': 'healthy', 'i-b': 'healthy'})
    expect(planFailover(healthy, policy()).actions).to.deep.equal([])
  })

  describe('guards', () => {
    it('partial view: a failed describe means no action at all', () => {
      const plan = planFailover({...poolWithOneDown(), complete: false}, policy())
      expect(plan.actions).to.deep.equal([])
      expect(plan.notes.join()).to.include('incomplete')
    })

    it('target health: never moves to a proxy judged unhealthy or unknown', () => {
      const v = poolWithOneDown()
      v.health['i-b'] = 'unhealthy'
      delete v.health['i-c']
      const plan = planFailover(v, policy())
      expect(associations(plan.actions)).to.deep.equal([])
      expect(plan.actions[0]).to.include({kind: 'alert', allocationId: 'eipalloc-1'})
    })

    it('target health: never moves to a proxy that is stopping, even if the last probe said healthy', () => {
      const v = poolWithOneDown()
      v.proxies[1] = {...v.proxies[1], state: 'stopping'}
      const plan = planFailover(v, policy())
      // The stopping proxy's own EIP leaves it too.
      expect(associations(plan.actions)).to.deep.equal([
        {allocationId: 'eipalloc-1', to: 'i-c'},
        {allocationId: 'eipalloc-2', to: 'i-c'},
      ])
    })

    it('hold-down: a proxy that lost an address recently gets none while another healthy proxy can take it', () => {
      const v = view(
        [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
        [eip(1, 'i-a'), eip(2, 'i-c'), eip(3, 'i-c')],
        {'i-a': 'unhealthy', 'i-b': 'healthy', 'i-c': 'healthy'},
      )
      // i-b is emptier, but it lost an address 10 s ago: the hold-down sends the address to i-c.
      const held = planFailover(v, policy({lostAt: {'i-b': NOW - 10_000}, healthySince: {'i-b': NOW - 5_000}}))
      expect(associations(held.actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-c'}])
      const after = planFailover(v, policy({lostAt: {'i-b': NOW - 120_000}, healthySince: {'i-b': NOW - 61_000}}))
      expect(associations(after.actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-b'}])
    })

    it('hold-down never keeps an address on a dead proxy: with every healthy proxy held down, one still takes it', () => {
      const v = view(
        [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b')],
        [eip(1, 'i-a')],
        {'i-a': 'unhealthy', 'i-b': 'healthy'},
      )
      const plan = planFailover(v, policy({lostAt: {'i-b': NOW - 10_000}, healthySince: {'i-b': NOW - 5_000}}))
      expect(associations(plan.actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-b'}])
      expect((plan.actions[0] as {reason: string}).reason).to.include('hold-down')
      expect(plan.actions.filter((a) => a.kind === 'alert')).to.deep.equal([])
    })

    it('hold-down: all proxies were dead and one came back, held down: every address goes to it at once', () => {
      const v = view(
        [proxy('i-a', 'z-a'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
        [eip(1, 'i-a'), eip(2, 'i-b'), eip(3, 'i-c')],
        {'i-a': 'healthy', 'i-b': 'unhealthy', 'i-c': 'unhealthy'},
      )
      const plan = planFailover(v, policy({lostAt: {'i-a': NOW - 20_000}, healthySince: {'i-a': NOW - 1_000}}))
      expect(associations(plan.actions)).to.deep.equal([
        {allocationId: 'eipalloc-2', to: 'i-a'},
        {allocationId: 'eipalloc-3', to: 'i-a'},
      ])
      expect(associations(planRebalance(v, policy({lostAt: {'i-a': NOW - 20_000}, healthySince: {'i-a': NOW - 1_000}})).actions)).to.have.length(2)
    })

    it('no target: the alert says why each proxy cannot take the address', () => {
      const v = view(
        [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
        [eip(1, 'i-a')],
        {'i-a': 'unhealthy', 'i-b': 'unhealthy', 'i-c': 'unknown'},
      )
      const [alert] = planFailover(v, policy()).actions as {kind: string; message: string}[]
      expect(alert.kind).to.equal('alert')
      expect(alert.message).to.include('i-a is stopped').and.include('i-b is unhealthy').and.include('i-c is not judged healthy yet')
      expect(alert.message).to.not.include('hold-down')
    })

    it('budget: past maxRemapsPerHour it alerts instead of moving', () => {
      const remaps = Array.from({length: 10}, (_, i) => ({at: NOW - 1000 * (i + 1), allocationId: 'eipalloc-9'}))
      const plan = planFailover(poolWithOneDown(), policy({remaps}))
      expect(associations(plan.actions)).to.deep.equal([])
      expect(plan.actions[0]).to.include({kind: 'alert'})
      expect((plan.actions[0] as {message: string}).message).to.include('budget')
    })

    it('budget: attaching an unattached (newly allocated) address is not a remap and spends no budget', () => {
      const v = view([proxy('i-a', 'z-a'), proxy('i-b', 'z-b')], [eip(1, 'i-a'), eip(2), eip(3)], {'i-a': 'healthy', 'i-b': 'healthy'})
      const spent = policy({maxRemapsPerHour: 0})
      expect(associations(planFailover(v, spent).actions).map((a) => a.allocationId)).to.deep.equal(['eipalloc-2', 'eipalloc-3'])
      expect(associations(planRebalance(v, spent).actions).map((a) => a.allocationId)).to.deep.equal(['eipalloc-2', 'eipalloc-3'])
      expect(planFailover(v, spent).actions.filter((a) => a.kind === 'alert')).to.deep.equal([])
    })

    it('budget: remaps older than an hour no longer count', () => {
      const remaps = Array.from({length: 10}, () => ({at: NOW - HOUR_MS - 1, allocationId: 'eipalloc-9'}))
      expect(associations(planFailover(poolWithOneDown(), policy({remaps})).actions)).to.have.length(1)
    })

    it('spread: prefers the healthy proxy with the fewest EIPs', () => {
      const v = view(
        [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
        [eip(1, 'i-a'), eip(2, 'i-b'), eip(3, 'i-b')],
        {'i-a': 'unhealthy', 'i-b': 'healthy', 'i-c': 'healthy'},
      )
      expect(associations(planFailover(v, policy()).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-c'}])
    })

    it('spread: among equally loaded proxies, prefers another zone than the failed holder', () => {
      const v = view(
        [proxy('i-a', 'z-a', 'stopped'), proxy('i-a2', 'z-a'), proxy('i-b', 'z-b')],
        [eip(1, 'i-a')],
        {'i-a': 'unhealthy', 'i-a2': 'healthy', 'i-b': 'healthy'},
      )
      expect(associations(planFailover(v, policy()).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-b'}])
    })

    it('spread: two EIPs off one dead proxy go to two different proxies', () => {
      const v = view(
        [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
        [eip(1, 'i-a'), eip(2, 'i-a')],
        {'i-a': 'unhealthy', 'i-b': 'healthy', 'i-c': 'healthy'},
      )
      expect(associations(planFailover(v, policy()).actions).map((a) => a.to).sort()).to.deep.equal(['i-b', 'i-c'])
    })

    it('pairs: an EIP moves only to the other member of its pair', () => {
      const pair = (n: string): Record<string, string> => ({'hactl:pair': n})
      const v = view(
        [proxy('i-1a', 'z-a', 'stopped', pair('1')), proxy('i-1b', 'z-b', 'running', pair('1')), proxy('i-2a', 'z-a', 'running', pair('2'))],
        [eip(1, 'i-1a', pair('1')), eip(2, 'i-2a', pair('2'))],
        {'i-1a': 'unhealthy', 'i-1b': 'healthy', 'i-2a': 'healthy'},
      )
      expect(associations(planFailover(v, policy({topology: 'pairs'})).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-1b'}])
      v.health['i-1b'] = 'unhealthy'
      const stuck = planFailover(v, policy({topology: 'pairs'}))
      expect(associations(stuck.actions)).to.deep.equal([])
      expect(stuck.actions[0]).to.include({kind: 'alert', allocationId: 'eipalloc-1'})
    })

    it('pairs: new addresses go to the member in the zone holding fewer addresses, so the active members spread over zones', () => {
      const pair = (n: string): Record<string, string> => ({'hactl:pair': n})
      const v = view(
        [
          proxy('i-1a', 'z-a', 'running', pair('pair-1')),
          proxy('i-1b', 'z-b', 'running', pair('pair-1')),
          proxy('i-2c', 'z-c', 'running', pair('pair-2')),
          proxy('i-2a', 'z-a', 'running', pair('pair-2')),
          proxy('i-3b', 'z-b', 'running', pair('pair-3')),
          proxy('i-3c', 'z-c', 'running', pair('pair-3')),
        ],
        [eip(1, undefined, pair('pair-1')), eip(2, undefined, pair('pair-2')), eip(3, undefined, pair('pair-3'))],
        Object.fromEntries(['i-1a', 'i-1b', 'i-2c', 'i-2a', 'i-3b', 'i-3c'].map((id) => [id, 'healthy' as Health])),
      )
      const zones = planFailover(v, policy({topology: 'pairs'})).actions.flatMap((a) => (a.kind === 'associate' ? [a.toZone] : []))
      expect(zones.sort()).to.deep.equal(['z-a', 'z-b', 'z-c'])
    })

    it('pairs: an EIP on a healthy proxy of another pair goes back to its own pair, never stays across pairs', () => {
      const pair = (n: string): Record<string, string> => ({'hactl:pair': n})
      const v = view(
        [proxy('i-1a', 'z-a', 'running', pair('pair-1')), proxy('i-1b', 'z-b', 'running', pair('pair-1')), proxy('i-2a', 'z-a', 'running', pair('pair-2'))],
        [eip(1, 'i-2a', pair('pair-1')), eip(2, 'i-2a', pair('pair-2'))],
        {'i-1a': 'healthy', 'i-1b': 'healthy', 'i-2a': 'healthy'},
      )
      expect(associations(planFailover(v, policy({topology: 'pairs'})).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-1b'}])
      expect(associations(planRebalance(v, policy({topology: 'pairs'})).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-1b'}])
      // In pool topology the same view is left alone: the pair tag means nothing there.
      expect(associations(planFailover(v, policy()).actions)).to.deep.equal([])
    })
  })

  it('--to: moves to the named proxy when it is healthy, refuses when it is not', () => {
    expect(associations(planFailover(poolWithOneDown(), policy({to: 'i-c'})).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-c'}])
    const v = poolWithOneDown()
    v.health['i-c'] = 'unhealthy'
    const refused = planFailover(v, policy({to: 'i-c'}))
    expect(associations(refused.actions)).to.deep.equal([])
    expect(refused.actions[0]).to.include({kind: 'alert'})
  })

  it('only: restricts the plan to the named EIPs (by allocation id or address)', () => {
    const v = view(
      [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
      [eip(1, 'i-a'), eip(2, 'i-a')],
      {'i-a': 'unhealthy', 'i-b': 'healthy', 'i-c': 'healthy'},
    )
    expect(associations(planFailover(v, policy({only: ['198.51.100.2']})).actions).map((a) => a.allocationId)).to.deep.equal(['eipalloc-2'])
  })

  it('attaches an unattached EIP to a healthy proxy', () => {
    const v = view([proxy('i-a', 'z-a')], [eip(1)], {'i-a': 'healthy'})
    expect(associations(planFailover(v, policy()).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-a'}])
  })

  it('leaves an EIP whose holder has unknown health where it is', () => {
    const v = view([proxy('i-a', 'z-a'), proxy('i-b', 'z-b')], [eip(1, 'i-a')], {'i-b': 'healthy'})
    const plan = planFailover(v, policy())
    expect(plan.actions).to.deep.equal([])
    expect(plan.notes.join()).to.include('unknown')
  })
})

describe('rebalance planner', () => {
  it('spreads 3 EIPs held by one proxy over 3 healthy proxies with 2 moves', () => {
    const v = view(
      [proxy('i-a', 'z-a'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
      [eip(1, 'i-a'), eip(2, 'i-a'), eip(3, 'i-a')],
      {'i-a': 'healthy', 'i-b': 'healthy', 'i-c': 'healthy'},
    )
    const moves = associations(planRebalance(v, policy()).actions)
    expect(moves).to.have.length(2)
    expect(moves.map((m) => m.to).sort()).to.deep.equal(['i-b', 'i-c'])
  })

  it('moves nothing when each healthy proxy already holds one', () => {
    const v = view([proxy('i-a', 'z-a'), proxy('i-b', 'z-b')], [eip(1, 'i-a'), eip(2, 'i-b')], {'i-a': 'healthy', 'i-b': 'healthy'})
    expect(planRebalance(v, policy()).actions).to.deep.equal([])
  })

  it('moves an EIP out of a zone that holds more than it must', () => {
    const v = view(
      [proxy('i-a1', 'z-a'), proxy('i-a2', 'z-a'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
      [eip(1, 'i-a1'), eip(2, 'i-a2'), eip(3, 'i-b')],
      {'i-a1': 'healthy', 'i-a2': 'healthy', 'i-b': 'healthy', 'i-c': 'healthy'},
    )
    const moves = associations(planRebalance(v, policy()).actions)
    expect(moves).to.have.length(1)
    expect(moves[0].to).to.equal('i-c')
  })

  it('acts on nothing with a partial view', () => {
    const v = view([proxy('i-a', 'z-a'), proxy('i-b', 'z-b')], [eip(1, 'i-a'), eip(2, 'i-a')], {'i-a': 'healthy', 'i-b': 'healthy'}, false)
    expect(planRebalance(v, policy()).actions).to.deep.equal([])
  })
})

describe('rebalance while proxies wait out their hold-down', () => {
  const allOnA = (): ObservedPool =>
    view(
      [proxy('i-a', 'z-a'), proxy('i-b', 'z-b'), proxy('i-c', 'z-c')],
      [eip(1, 'i-a'), eip(2, 'i-a'), eip(3, 'i-a')],
      {'i-a': 'healthy', 'i-b': 'healthy', 'i-c': 'healthy'},
    )
  const heldBC = {lostAt: {'i-b': NOW - 30_000, 'i-c': NOW - 20_000}, healthySince: {'i-a': NOW - HOUR_MS, 'i-b': NOW - 15_000, 'i-c': NOW - 10_000}}

  it('eip rebalance says what it waits for and when, not that the pool is balanced', () => {
    const plan = planRebalance(allOnA(), policy(heldBC))
    expect(associations(plan.actions)).to.deep.equal([])
    expect(plan.waiting).to.deep.include({for: 'hold-down', proxies: ['i-b', 'i-c'], until: NOW + 45_000})
    expect(plan.notes.join('\n')).to.not.include('balanced:')
    expect(plan.notes[0]).to.include('i-a holds 3 addresses').and.include('hold-down').and.include('in 45 s')
  })

  it('the monitor moves nothing back before the empty proxy has been healthy for the hold-down', () => {
    const plan = planPreempt(allOnA(), policy(heldBC))
    expect(plan.actions).to.deep.equal([])
    expect(plan.notes.join()).to.include('after the hold-down').and.include('in 45 s')
  })

  it('after the hold-down the monitor moves one address, from the fullest proxy to an empty healthy one', () => {
    const ready = {lostAt: {'i-b': NOW - 200_000, 'i-c': NOW - 200_000}, healthySince: {'i-a': NOW - HOUR_MS, 'i-b': NOW - 100_000, 'i-c': NOW - 90_000}}
    const plan = planPreempt(allOnA(), policy(ready))
    expect(plan.actions).to.have.length(1)
    expect(plan.actions[0]).to.deep.include({kind: 'associate', from: 'i-a', to: 'i-b'})
    // Only the empty proxy that is past its hold-down.
    const one = planPreempt(allOnA(), policy({...ready, lostAt: {...ready.lostAt, 'i-b': NOW - 1000}}))
    expect(associations(one.actions)).to.deep.equal([{allocationId: 'eipalloc-3', to: 'i-c'}])
  })

  it('the monitor does not rebalance past the remap budget, nor while an address needs a failover, nor in pairs', () => {
    const ready = {healthySince: {'i-a': NOW - HOUR_MS, 'i-b': NOW - HOUR_MS, 'i-c': NOW - HOUR_MS}}
    const spent = Array.from({length: 10}, (_, i) => ({at: NOW - 1000 * (i + 1), allocationId: 'eipalloc-9'}))
    expect(planPreempt(allOnA(), policy({...ready, remaps: spent})).actions).to.deep.equal([])
    expect(rebalanceOutlook(allOnA(), policy({...ready, remaps: spent}))?.wait).to.deep.include({for: 'budget', until: NOW - 10_000 + HOUR_MS})
    const dead = allOnA()
    dead.addresses.push(eip(4, 'i-x'))
    expect(planPreempt(dead, policy(ready)).actions).to.deep.equal([])
    expect(planPreempt(allOnA(), policy({...ready, topology: 'pairs'})).actions).to.deep.equal([])
  })

  it('an unbalanced pool is reported with when the monitor acts, or that rebalance is manual', () => {
    const auto = rebalanceOutlook(allOnA(), policy(heldBC))
    expect(auto?.message).to.include('i-b, i-c hold none').and.include('in 45 s')
    expect(rebalanceOutlook(allOnA(), policy({...heldBC, rebalance: 'manual'}))?.message).to.include('manual').and.include('hactl eip rebalance')
    const balanced = view([proxy('i-a', 'z-a'), proxy('i-b', 'z-b')], [eip(1, 'i-a'), eip(2, 'i-b')], {'i-a': 'healthy', 'i-b': 'healthy'})
    expect(rebalanceOutlook(balanced, policy())).to.equal(undefined)
  })
})

describe('failover planner properties', () => {
  const states: InstanceState[] = ['running', 'running', 'running', 'stopped', 'stopping', 'pending']
  const healths: (Health | undefined)[] = ['healthy', 'healthy', 'unhealthy', 'unknown', undefined]
  const arbitraryPool = fc
    .record({
      proxies: fc.array(fc.record({zone: fc.constantFrom('z-a', 'z-b', 'z-c'), state: fc.constantFrom(...states), health: fc.constantFrom(...healths)}), {
        minLength: 0,
        maxLength: 6,
      }),
      holders: fc.array(fc.integer({min: -1, max: 7}), {minLength: 0, maxLength: 6}),
      complete: fc.boolean(),
      budget: fc.integer({min: 0, max: 12}),
      used: fc.integer({min: 0, max: 12}),
      heldDown: fc.array(fc.boolean(), {minLength: 6, maxLength: 6}),
    })
    .map(({budget, complete, heldDown, holders, proxies, used}) => {
      const ps = proxies.map((p, i) => proxy(`i-${i}`, p.zone, p.state))
      const health: Record<string, Health> = {}
      proxies.forEach((p, i) => {
        if (p.health) health[`i-${i}`] = p.health
      })
      // A holder index past the proxy list stands for an instance that is not (or no longer) a cluster proxy.
      const addresses = holders.map((h, n) => eip(n + 1, h < 0 ? undefined : `i-${h}`))
      const lostAt: Record<string, number> = {}
      heldDown.forEach((held, i) => {
        if (held) lostAt[`i-${i}`] = NOW - 1000
      })
      const remaps = Array.from({length: used}, () => ({at: NOW - 1000, allocationId: 'eipalloc-x'}))
      return {view: view(ps, addresses, health, complete), policy: policy({maxRemapsPerHour: budget, remaps, lostAt})}
    })

  const planners = {planFailover, planRebalance}
  for (const [name, plan] of Object.entries(planners)) {
    it(`${name} never targets a proxy that is not running and healthy`, () => {
      fc.assert(
        fc.property(arbitraryPool, ({policy: p, view: v}) => {
          for (const a of associations(plan(v, p).actions)) {
            const target = v.proxies.find((x) => x.id === a.to)
            expect(target?.state).to.equal('running')
            expect(v.health[a.to]).to.equal('healthy')
          }
        }),
      )
    })

    it(`${name} never exceeds the hourly budget (moves off a proxy; attaching a free address is no remap)`, () => {
      fc.assert(
        fc.property(arbitraryPool, ({policy: p, view: v}) => {
          const used = p.remaps.length
          const remaps = plan(v, p).actions.filter((a) => a.kind === 'associate' && a.from !== undefined)
          expect(remaps.length).to.be.at.most(Math.max(0, p.maxRemapsPerHour - used))
        }),
      )
    })

    it(`${name} does nothing on a partial view`, () => {
      fc.assert(
        fc.property(arbitraryPool, ({policy: p, view: v}) => {
          expect(plan({...v, complete: false}, p).actions).to.deep.equal([])
        }),
      )
    })
  }

  it('planFailover never leaves an EIP unattached or on a dead holder when a healthy proxy can take it', () => {
    fc.assert(
      fc.property(arbitraryPool, ({policy: p, view: v}) => {
        const roomy = {...p, remaps: [], maxRemapsPerHour: 1000}
        // Held down or not: the hold-down never keeps an address on a dead proxy.
        const eligible = v.proxies.some((x) => x.state === 'running' && v.health[x.id] === 'healthy')
        if (!v.complete || !eligible) return
        const moved = new Map(associations(planFailover(v, roomy).actions).map((a) => [a.allocationId, a.to]))
        for (const a of v.addresses) {
          const holder = v.proxies.find((x) => x.id === (moved.get(a.allocationId) ?? a.instanceId))
          expect(holder, `${a.publicIp} ends without a holder`).to.not.equal(undefined)
          expect(holder?.state).to.equal('running')
          expect(v.health[holder?.id ?? '']).to.not.equal('unhealthy')
        }
      }),
    )
  })
})

describe('failover planner: proxies never given the source config', () => {
  const pair = (p: string): Record<string, string> => ({'hactl:pair': p})

  it('an address leaving a dead proxy skips a healthy proxy that was never pushed, though it holds fewer and sits in another zone', () => {
    const pool = view(
      [proxy('i-a', 'z-a', 'stopped'), proxy('i-b', 'z-a'), proxy('i-new', 'z-c')],
      [eip(1, 'i-a'), eip(2, 'i-b')],
      {'i-a': 'unhealthy', 'i-b': 'healthy', 'i-new': 'healthy'},
    )
    expect(associations(planFailover(pool, policy()).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-new'}])
    const plan = planFailover({...pool, unpushed: ['i-new']}, policy())
    expect(associations(plan.actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-b'}])
  })

  it('when only never-pushed proxies are healthy, the address is not moved and the alert says why', () => {
    const pool = view([proxy('i-a', 'z-a', 'stopped'), proxy('i-new', 'z-b')], [eip(1, 'i-a')], {'i-a': 'unhealthy', 'i-new': 'healthy'})
    const plan = planFailover({...pool, unpushed: ['i-new']}, policy())
    expect(associations(plan.actions)).to.deep.equal([])
    const alert = plan.actions.find((a) => a.kind === 'alert')
    expect(alert?.message).to.include('i-new never got the source config')
  })

  it('pairs: a dead member\'s address does not go to a partner that was never pushed', () => {
    const pairs = view(
      [proxy('i-a', 'z-a', 'stopped', pair('pair-1')), proxy('i-b', 'z-b', 'running', pair('pair-1'))],
      [eip(1, 'i-a', pair('pair-1'))],
      {'i-a': 'unhealthy', 'i-b': 'healthy'},
    )
    expect(associations(planFailover(pairs, policy({topology: 'pairs'})).actions)).to.deep.equal([{allocationId: 'eipalloc-1', to: 'i-b'}])
    const plan = planFailover({...pairs, unpushed: ['i-b']}, policy({topology: 'pairs'}))
    expect(associations(plan.actions)).to.deep.equal([])
    expect(plan.actions[0]).to.include({kind: 'alert'})
  })

  it('an operator\'s --to naming a never-pushed proxy moves nothing', () => {
    const plan = planFailover({...poolWithOneDown(), unpushed: ['i-c']}, policy({to: 'i-c'}))
    expect(associations(plan.actions)).to.deep.equal([])
    expect(plan.actions[0]).to.deep.include({kind: 'alert'})
    expect((plan.actions[0] as {message: string}).message).to.include('never got the source config')
  })

  it('rebalance and the monitor\'s preempt leave an empty never-pushed proxy empty', () => {
    const allOnA = view(
      [proxy('i-a', 'z-a'), proxy('i-b', 'z-b')],
      [eip(1, 'i-a'), eip(2, 'i-a')],
      {'i-a': 'healthy', 'i-b': 'healthy'},
    )
    const ready = policy({healthySince: {'i-a': NOW - HOUR_MS, 'i-b': NOW - HOUR_MS}})
    expect(associations(planRebalance(allOnA, ready).actions)).to.have.length(1)
    expect(associations(planPreempt(allOnA, ready).actions)).to.have.length(1)
    const fresh = {...allOnA, unpushed: ['i-b']}
    expect(associations(planRebalance(fresh, ready).actions)).to.deep.equal([])
    expect(associations(planPreempt(fresh, ready).actions)).to.deep.equal([])
    expect(rebalanceOutlook(fresh, ready)).to.equal(undefined)
  })
})
