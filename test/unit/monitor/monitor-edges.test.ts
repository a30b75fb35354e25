import path from 'node:path'

import {expect} from 'chai'

import type {ProxyInstance} from '../../../src/cloud/provider.js'
import type {Health, HealthJudge} from '../../../src/health/judge.js'
import {FileLeaseStore} from '../../../src/monitor/file-lease.js'
import {LeaseKeeper} from '../../../src/monitor/lease.js'
import {FakeProvider} from '../../harness/fake-provider.js'
import {SETTINGS, tempDir, World} from '../../harness/monitor-world.js'

const associates = (world: World): string[] => world.provider.calls.filter((c) => c.startsWith('associate'))

/** A monitor whose probes reach no proxy, though the proxies are fine. */
const cutOff: HealthJudge = async (proxies: ProxyInstance[]) => Object.fromEntries(proxies.map((p) => [p.id, 'unhealthy' as Health]))

describe('monitor at its edges', () => {
  it('all proxies dead, one revived while in its hold-down: every address goes to it at once', async () => {
    const world = new World(FakeProvider.pool(3), {...SETTINGS, holdDownMs: 60_000})
    await world.rounds_(2)
    world.provider.set('i-1', 'stopped')
    await world.round()
    expect(world.provider.holder('eipalloc-1')).to.not.equal('i-1')
    world.provider.set('i-2', 'stopped')
    world.provider.set('i-3', 'stopped')
    await world.rounds_(5)
    expect(world.codes('failover.alert'), 'one alert per address, not one per round').to.have.length(3)
    for (const message of world.codes('failover.alert')) expect(message).to.include('no healthy proxy can take it: i-1 is stopped; i-2 is stopped; i-3 is stopped')

    world.provider.set('i-1', 'running')
    await world.rounds_(2)
    // i-1 lost its address a few seconds ago: held down for 60 s, but the only healthy proxy.
    expect(world.provider.addresses.map((a) => a.instanceId)).to.deep.equal(['i-1', 'i-1', 'i-1'])
    expect(world.codes('failover.resolved')).to.have.length(3)
    expect(world.codes('failover.alert')).to.have.length(3)
  })

  it('a monitor cut off from every proxy moves nothing and raises one alert, then says when it is over', async () => {
    const world = new World(FakeProvider.pool(3))
    await world.rounds_(2)
    world.judge = cutOff
    const rounds = []
    for (let i = 0; i < 6; i++) rounds.push((await world.round()).outcome)
    expect(associates(world)).to.deep.equal([])
    expect(world.codes('failover.alert')).to.deep.equal(['the monitor may be cut off: 3 of 3 proxies unreachable from here; no moves while it sees none, still probing'])
    expect(rounds.at(-1)).to.include({suspect: true, planned: 0})
    expect(Object.keys(world.state.alerts)).to.deep.equal(['monitor.view'])
    world.judge = (await import('../../../src/health/judge.js')).ec2Judge
    await world.rounds_(2)
    expect(world.codes('failover.resolved')).to.have.length(1)
    expect(world.state.alerts).to.deep.equal({})
    expect(associates(world)).to.deep.equal([])
  })

  it('a cut-off lease holder gives the lease up and a monitor with a clear view acts', async () => {
    const dir = await tempDir('hactl-monitor-cut-')
    const provider = FakeProvider.pool(3)
    const store = new FileLeaseStore(path.join(dir, 'leases'))
    const a = new World(provider)
    const b = new World(provider)
    a.lease = new LeaseKeeper(store, 'm', 'a', 30_000, () => a.now)
    b.lease = new LeaseKeeper(store, 'm', 'b', 30_000, () => b.now)
    await a.rounds_(2)
    await b.rounds_(2)
    expect((await store.read('m'))?.holder).to.equal('a')
    a.judge = cutOff
    provider.sick('i-1')
    for (let i = 0; i < 3; i++) {
      await a.round()
      await b.round()
    }
    expect(a.codes('lease.released')).to.have.length(1)
    expect((await store.read('m'))?.holder).to.equal('b')
    expect(provider.holder('eipalloc-1')).to.be.oneOf(['i-2', 'i-3'])
    expect(b.codes('failover.verified')).to.have.length(1)
    expect(a.codes('failover.planned')).to.deep.equal([])
  })

  it('more than half of the proxies failing at once is doubted for the hold-down, then believed', async () => {
    const world = new World(FakeProvider.pool(3), {...SETTINGS, holdDownMs: 10_000})
    await world.rounds_(2)
    world.provider.sick('i-1')
    world.provider.sick('i-2')
    await world.rounds_(2)
    expect(world.codes('failover.alert')).to.have.length(1)
    expect(world.codes('failover.alert')[0]).to.include('the monitor may be cut off: 2 of 3 proxies unreachable from here')
    await world.rounds_(8)
    expect(associates(world), 'no moves while the view is doubted').to.deep.equal([])
    await world.rounds_(2)
    expect(world.codes('failover.resolved').join()).to.include('taking it as real')
    expect(world.provider.holder('eipalloc-1')).to.equal('i-3')
    expect(world.provider.holder('eipalloc-2')).to.equal('i-3')
  })

  it('rebalance auto: after the hold-down a revived proxy gets one address back, verified', async () => {
    const world = new World(FakeProvider.pool(3), {...SETTINGS, holdDownMs: 10_000})
    await world.rounds_(2)
    world.provider.set('i-1', 'stopped')
    await world.round()
    world.provider.set('i-1', 'running')
    await world.rounds_(8)
    expect(world.provider.addresses.filter((a) => a.instanceId === 'i-1'), 'nothing back inside the hold-down').to.deep.equal([])
    await world.rounds_(4)
    expect(world.provider.addresses.filter((a) => a.instanceId === 'i-1')).to.have.length(1)
    expect(world.codes('failover.verified').at(-1)).to.equal('now on i-1')
    const moves = associates(world).length
    await world.rounds_(5)
    expect(associates(world), 'balanced: nothing more to move').to.have.length(moves)
  })

  it('rebalance manual: the monitor leaves a revived proxy empty', async () => {
    const world = new World(FakeProvider.pool(3), {...SETTINGS, holdDownMs: 10_000, rebalance: 'manual'})
    await world.rounds_(2)
    world.provider.set('i-1', 'stopped')
    await world.round()
    world.provider.set('i-1', 'running')
    await world.rounds_(20)
    expect(world.provider.addresses.filter((a) => a.instanceId === 'i-1')).to.deep.equal([])
  })

  it('attaching a newly allocated address spends no remap budget', async () => {
    const world = new World(FakeProvider.pool(2), {...SETTINGS, maxRemapsPerHour: 0})
    await world.rounds_(2)
    for (let i = 0; i < 3; i++) {
      await world.provider.allocateAddress()
      await world.round()
    }
    expect(world.provider.addresses.every((a) => a.instanceId !== undefined)).to.equal(true)
    expect(world.state.remaps).to.deep.equal([])
    expect(world.codes('failover.alert')).to.deep.equal([])
  })
})
