import {expect} from 'chai'

import type {ProxyInstance} from '../../../src/cloud/provider.js'
import {TAG} from '../../../src/cloud/tags.js'
import {planMoves, planReplace, type ReplaceSettings, type ReplaceState, type ReplaceView} from '../../../src/monitor/replace-plan.js'
import type {ReplaceDeps} from '../../../src/monitor/replace.js'
import {readState, writeState} from '../../../src/monitor/state.js'
import {FakeProvider} from '../../harness/fake-provider.js'
import {SETTINGS, tempDir, World} from '../../harness/monitor-world.js'
import path from 'node:path'

const POOL: ReplaceSettings = {afterMs: 5000, topology: 'pool', wanted: 3}

function view(provider: FakeProvider, unhealthy: string[] = []): ReplaceView {
  const proxies = provider.proxies.filter((p) => p.state !== 'terminated')
  return {complete: true, proxies, addresses: provider.addresses, health: Object.fromEntries(proxies.map((p) => [p.id, unhealthy.includes(p.id) ? 'unhealthy' : 'healthy']))}
}

/** EC2's terminate: the instance goes and its addresses fall off it. */
function terminate(provider: FakeProvider, id: string): void {
  provider.set(id, 'terminated')
  for (const a of provider.addresses) if (a.instanceId === id) delete a.instanceId
}

describe('failover.replace planner', () => {
  it('replaces a terminated proxy only once it has been gone for `after`, in its zone, with the addresses it held', () => {
    const cloud = FakeProvider.pool(3)
    let {state} = planReplace(undefined, view(cloud), POOL, 0)
    terminate(cloud, 'i-2')
    const early = planReplace(state, view(cloud), POOL, 1000)
    expect(early.started).to.deep.equal([])
    state = early.state
    const due = planReplace(state, view(cloud), POOL, 6000)
    expect(due.started).to.have.length(1)
    expect(due.started[0]).to.include({dead: 'i-2', zone: 'b', step: 'launch', why: 'terminated'})
    expect(due.started[0].addresses).to.deep.equal(['eipalloc-2'])
    // The next round does not start a second one for the same proxy.
    expect(planReplace(due.state, view(cloud), POOL, 7000).started).to.deep.equal([])
  })

  it('never more than one replacement in flight per zone', () => {
    const cloud = FakeProvider.pool(6, ['a', 'a', 'b', 'b', 'c', 'c'].slice(0, 6))
    cloud.proxies.forEach((p, i) => (p.zone = ['a', 'a', 'b', 'b', 'c', 'c'][i]))
    const settings = {...POOL, wanted: 6}
    let {state} = planReplace(undefined, view(cloud), settings, 0)
    terminate(cloud, 'i-1')
    terminate(cloud, 'i-2')
    state = planReplace(state, view(cloud), settings, 1000).state
    const due = planReplace(state, view(cloud), settings, 7000)
    expect(due.started.map((r) => r.zone)).to.deep.equal(['a'])
    expect(due.notes.join('\n')).to.match(/already in flight in a/)
    // Another zone is not held up by zone a.
    terminate(cloud, 'i-3')
    const later = planReplace(due.state, view(cloud), settings, 8000)
    const again = planReplace(later.state, view(cloud), settings, 14_000)
    expect(again.started.map((r) => [r.dead, r.zone])).to.deep.equal([['i-3', 'b']])
  })

  it('replaces nothing when more than half of the proxies look dead at once: one guard message instead', () => {
    const cloud = FakeProvider.pool(3)
    const {state} = planReplace(undefined, view(cloud), POOL, 0)
    const dead = planReplace(state, view(cloud, ['i-1', 'i-2']), POOL, 1000)
    const later = planReplace(dead.state, view(cloud, ['i-1', 'i-2']), POOL, 60_000)
    expect(later.started).to.deep.equal([])
    expect(later.guard).to.match(/2 of 3 proxies look dead at once/)
    // Exactly half is not more than half.
    const four = FakeProvider.pool(4)
    const s4 = planReplace(undefined, view(four), {...POOL, wanted: 4}, 0).state
    const half = planReplace(planReplace(s4, view(four, ['i-1', 'i-2']), {...POOL, wanted: 4}, 1000).state, view(four, ['i-1', 'i-2']), {...POOL, wanted: 4}, 60_000)
    expect(half.guard).to.equal(undefined)
    expect(half.started.map((r) => r.dead)).to.deep.equal(['i-1', 'i-2'])
  })

  it('does not undo a scale-down: a proxy gone while the cluster has the proxies it wants is forgotten', () => {
    const cloud = FakeProvider.pool(3)
    const {state} = planReplace(undefined, view(cloud), {...POOL, wanted: 2}, 0)
    terminate(cloud, 'i-3')
    const plan = planReplace(planReplace(state, view(cloud), {...POOL, wanted: 2}, 1000).state, view(cloud), {...POOL, wanted: 2}, 60_000)
    expect(plan.started).to.deep.equal([])
    expect(plan.state.known).to.not.have.property('i-3')
    // On EC2 a terminated instance is listed as shutting-down for a while first: the same rule.
    const ec2 = FakeProvider.pool(3)
    const s0 = planReplace(undefined, view(ec2), {...POOL, wanted: 2}, 0).state
    ec2.set('i-3', 'shutting-down')
    const p2 = planReplace(planReplace(s0, view(ec2), {...POOL, wanted: 2}, 1000).state, view(ec2), {...POOL, wanted: 2}, 60_000)
    expect(p2.started).to.deep.equal([])
  })

  it('pairs: the replacement joins the dead member\'s pair, and the partner keeps the pair\'s address it holds alive', () => {
    const cloud = FakeProvider.pool(4, ['a', 'b'])
    cloud.addresses = cloud.addresses.slice(0, 2)
    const pairs = ['pair-1', 'pair-1', 'pair-2', 'pair-2']
    cloud.proxies.forEach((p, i) => (p.tags = {[TAG.pair]: pairs[i]}))
    cloud.addresses.forEach((a, i) => (a.tags = {[TAG.pair]: `pair-${i + 1}`}))
    cloud.addresses[1].instanceId = 'i-3'
    const settings: ReplaceSettings = {afterMs: 5000, topology: 'pairs', wanted: 4}
    const {state} = planReplace(undefined, view(cloud), settings, 0)
    terminate(cloud, 'i-1')
    cloud.addresses[0].instanceId = 'i-2' // the partner took it
    const plan = planReplace(planReplace(state, view(cloud), settings, 1000).state, view(cloud), settings, 7000)
    expect(plan.started).to.have.length(1)
    expect(plan.started[0]).to.include({dead: 'i-1', pair: 'pair-1', zone: 'a'})
    const r = {...plan.started[0], replacement: 'i-9', step: 'move' as const}
    const replacement: ProxyInstance = {id: 'i-9', name: 'proxy-9', zone: 'a', state: 'running', tags: {[TAG.pair]: 'pair-1'}}
    const v = {...view(cloud), proxies: [...view(cloud).proxies, replacement]}
    expect(planMoves(r, v, 'pairs', {used: 0, max: 10}).moves, 'the live partner keeps it').to.deep.equal([])
    // Partner dead too: the address goes to the replacement, inside the pair.
    const dead = {...v, health: {...v.health, 'i-2': 'unhealthy' as const}}
    expect(planMoves(r, dead, 'pairs', {used: 0, max: 10}).moves).to.deep.equal([{allocationId: 'eipalloc-1', publicIp: '127.0.2.1', from: 'i-2', to: 'i-9'}])
  })

  it('moves back off another proxy only within the remap budget; attaching a free address needs none', () => {
    const cloud = FakeProvider.pool(3)
    cloud.addresses[1].instanceId = 'i-1'
    delete cloud.addresses[2].instanceId
    const r = {dead: 'i-2', zone: 'b', why: 'terminated', step: 'move' as const, addresses: ['eipalloc-2', 'eipalloc-3'], startedAt: 0, stepSince: 0, attempts: 0, replacement: 'i-9'}
    const {moves, waiting} = planMoves(r, view(cloud), 'pool', {used: 10, max: 10})
    expect(moves.map((m) => m.allocationId)).to.deep.equal(['eipalloc-3'])
    expect(waiting.map((m) => m.allocationId)).to.deep.equal(['eipalloc-2'])
  })

  it('a restarted monitor finds the proxy an earlier run launched instead of launching a second one', () => {
    const cloud = FakeProvider.pool(3)
    let {state} = planReplace(undefined, view(cloud), POOL, 0)
    terminate(cloud, 'i-2')
    state = planReplace(state, view(cloud), POOL, 1000).state
    const due = planReplace(state, view(cloud), POOL, 7000)
    // The launch went out but its result was never written: the state file still says step launch.
    cloud.proxies.push({id: 'i-new', name: 'proxy-2', zone: 'b', state: 'running', launchedAt: new Date(7500).toISOString(), tags: {}})
    const resumed = planReplace(JSON.parse(JSON.stringify(due.state)) as ReplaceState, view(cloud), POOL, 9000)
    expect(resumed.started).to.deep.equal([])
    expect(resumed.adopted.map((r) => [r.dead, r.replacement, r.step])).to.deep.equal([['i-2', 'i-new', 'push']])
  })
})

describe('failover.replace in the monitor round', () => {
  function replaceWorld(): {world: World; launches: string[]; pushes: string[]; deps: ReplaceDeps} {
    const cloud = FakeProvider.pool(3)
    const world = new World(cloud, {...SETTINGS, replace: {afterMs: 3000, wanted: 3}})
    const launches: string[] = []
    const pushes: string[] = []
    const deps: ReplaceDeps = {
      async launch(where) {
        const proxy: ProxyInstance = {id: `i-r${launches.length + 1}`, name: `proxy-r${launches.length + 1}`, zone: where.zone, state: 'running', statusOk: true, launchedAt: new Date(world.now).toISOString(), tags: {}}
        launches.push(where.zone)
        cloud.proxies.push(proxy)
        return {...proxy}
      },
      async push(proxy) {
        pushes.push(proxy.id)
      },
      async terminate(id) {
        terminate(cloud, id)
      },
    }
    world.replace = deps
    return {world, launches, pushes, deps}
  }

  it('launch → push → rise → move back → done, each step an event, the state resumable from the file', async () => {
    const {world, launches, pushes} = replaceWorld()
    await world.rounds_(2)
    terminate(world.provider, 'i-2')
    await world.rounds_(5)
    expect(world.codes('replace.started')).to.have.length(1)
    // Through the state file, as a restarted monitor reads it.
    const file = path.join(await tempDir('hactl-replace-'), 'state.json')
    await writeState(file, world.state)
    world.state = await readState(file)
    await world.rounds_(6)
    expect(launches).to.deep.equal(['b'])
    expect(pushes).to.deep.equal(['i-r1'])
    expect(world.provider.holder('eipalloc-2')).to.equal('i-r1')
    for (const code of ['replace.started', 'replace.launched', 'replace.pushed', 'replace.healthy', 'replace.moved', 'replace.done']) {
      expect(world.codes(code), code).to.have.length(1)
    }
    expect(world.state.replace?.inFlight).to.deep.equal([])
  })

  it('a dead proxy still listed (stopped) is terminated only after its replacement holds its address', async () => {
    const {world} = replaceWorld()
    await world.rounds_(2)
    world.provider.set('i-3', 'stopped')
    const order: string[] = []
    await world.rounds_(12)
    for (const e of world.reporter.events) if (e.code.startsWith('replace.') && e.code !== 'replace.note') order.push(e.code)
    expect(order).to.deep.equal(['replace.started', 'replace.launched', 'replace.pushed', 'replace.healthy', 'replace.moved', 'replace.terminated', 'replace.done'])
    expect(world.provider.proxies.find((p) => p.id === 'i-3')?.state).to.equal('terminated')
    expect(world.provider.holder('eipalloc-3')).to.equal('i-r1')
  })

  it('a replacement stuck at a step (its push refused for ten minutes) is alerted once, and keeps trying with a growing pause', async () => {
    const {world, deps} = replaceWorld()
    let pushes = 0
    deps.push = async () => {
      pushes++
      throw new Error('connection refused')
    }
    await world.rounds_(2)
    terminate(world.provider, 'i-2')
    await world.rounds_(8)
    expect(world.codes('replace.failed').length).to.be.greaterThan(0)
    for (let i = 0; i < 15; i++) await world.round(60_000)
    const alerts = world.codes('failover.alert').filter((m) => m.includes('stuck'))
    expect(alerts).to.have.length(1)
    expect(alerts[0]).to.match(/pushing the config.*stuck at this step for \d+ min/)
    expect(pushes, 'at most one try a minute once the pause has grown').to.be.lessThan(25)
    deps.push = async () => undefined
    await world.rounds_(6, 60_000)
    expect(world.codes('failover.resolved').some((m) => m.includes('stuck'))).to.equal(true)
    expect(world.codes('replace.done')).to.have.length(1)
  })
})
