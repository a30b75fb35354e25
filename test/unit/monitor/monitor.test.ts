import path from 'node:path'

import {expect} from 'chai'

import {parseCluster} from '../../../src/cluster/loader.js'
import {FileLeaseStore} from '../../../src/monitor/file-lease.js'
import {LeaseKeeper} from '../../../src/monitor/lease.js'
import {jsonEventLog} from '../../../src/monitor/events.js'
import {runMonitor} from '../../../src/monitor/loop.js'
import {readState} from '../../../src/monitor/state.js'
import {ec2Judge} from '../../../src/health/judge.js'
import {publishDns} from '../../../src/services/dns.js'
import {MemoryReporter} from '../../../src/events.js'
import {FakeProvider} from '../../harness/fake-provider.js'
import {providerRunner, SETTINGS, tempDir, World} from '../../harness/monitor-world.js'

describe('monitor rounds against an in-memory cloud', () => {
  it('moves the address of a failing proxy once fall is reached, to another zone, and leaves DNS alone', async () => {
    const world = new World(FakeProvider.pool(3))
    await world.rounds_(2)
    expect(world.provider.records.get('www.example.test.')?.values).to.deep.equal(['127.0.2.1', '127.0.2.2', '127.0.2.3'])
    const upserts = world.provider.calls.filter((c) => c.startsWith('upsert')).length

    world.provider.sick('i-1')
    await world.round()
    expect(world.provider.holder('eipalloc-1'), 'one failure is below fall 2').to.equal('i-1')
    const {outcome} = await world.round()
    expect(outcome.done).to.equal(1)
    const holder = world.provider.holder('eipalloc-1')
    expect(holder).to.be.oneOf(['i-2', 'i-3'])
    expect(world.provider.proxies.find((p) => p.id === holder)?.zone).to.not.equal('a')
    expect(world.provider.calls.filter((c) => c.startsWith('upsert')).length, 'a failover changes no DNS').to.equal(upserts)
    expect(world.codes('health.transition')).to.include('healthy → unhealthy')
    expect(world.codes('failover.verified')).to.deep.equal([`now on ${holder}`])
  })

  it('moves the address of a stopped instance in the first round: the cloud says it is gone', async () => {
    const world = new World(FakeProvider.pool(3))
    await world.rounds_(2)
    world.provider.set('i-3', 'stopped')
    await world.round()
    expect(world.provider.holder('eipalloc-3')).to.be.oneOf(['i-1', 'i-2'])
  })

  it('acts on nothing when a describe call fails, and says why', async () => {
    const world = new World(FakeProvider.pool(3))
    await world.rounds_(2)
    world.provider.sick('i-1')
    await world.round()
    world.provider.failNext.add('addresses')
    const {outcome} = await world.round()
    expect(outcome.complete).to.equal(false)
    expect(world.provider.calls.filter((c) => c.startsWith('associate'))).to.deep.equal([])
    expect(world.codes('monitor.observe')[0]).to.include('acting on nothing')
    await world.round()
    expect(world.provider.holder('eipalloc-1')).to.not.equal('i-1')
  })

  it('never moves an address to an unhealthy proxy: with no healthy proxy left it alerts', async () => {
    const world = new World(FakeProvider.pool(3))
    await world.rounds_(2)
    for (const id of ['i-1', 'i-2', 'i-3']) world.provider.set(id, 'stopped')
    const results = [await world.round(), await world.round()]
    expect(world.provider.calls.filter((c) => c.startsWith('associate'))).to.deep.equal([])
    expect(results[1].outcome.alerts).to.equal(3)
    expect(world.state.lastActions.at(-1)?.outcome).to.equal('alert')
  })

  it('gives a recovered proxy no address back until it has been healthy for the hold-down', async () => {
    const world = new World(FakeProvider.pool(3), {...SETTINGS, holdDownMs: 10_000})
    await world.rounds_(2)
    world.provider.set('i-1', 'stopped')
    await world.rounds_(2)
    // i-2 fails too: i-1 is up again but held down, so the address goes to i-3.
    world.provider.set('i-1', 'running')
    await world.rounds_(2)
    world.provider.set('i-2', 'stopped')
    await world.rounds_(2)
    expect(world.provider.holder('eipalloc-2')).to.equal('i-3')
    expect(world.provider.addresses.filter((a) => a.instanceId === 'i-1')).to.deep.equal([])
    world.provider.set('i-3', 'stopped')
    await world.rounds_(2, 5000)
    // Past the hold-down: i-1 is the one healthy proxy and takes every address.
    expect(world.provider.addresses.every((a) => a.instanceId === 'i-1')).to.equal(true)
  })

  it('past the remap budget it alerts instead of moving', async () => {
    const world = new World(FakeProvider.pool(4), {...SETTINGS, maxRemapsPerHour: 1, holdDownMs: 0})
    await world.rounds_(2)
    world.provider.set('i-1', 'stopped')
    await world.rounds_(2)
    world.provider.set('i-2', 'stopped')
    await world.rounds_(2)
    expect(world.provider.calls.filter((c) => c.startsWith('associate'))).to.have.length(1)
    expect(world.codes('failover.alert').join('\n')).to.include('remap budget spent')
  })

  it('publishes DNS when the pool itself changes, and never an empty record set', async () => {
    const world = new World(FakeProvider.pool(2))
    await world.round()
    await world.provider.allocateAddress()
    await world.round()
    expect(world.provider.records.get('www.example.test.')?.values).to.have.length(3)
    world.provider.addresses = []
    await world.round()
    expect(world.provider.records.get('www.example.test.')?.values).to.have.length(3)
    expect(world.codes('dns.keep')).to.have.length(1)
  })

  it('fixes a drifted TTL the way `dns publish` would', async () => {
    // The record lists exactly the pool, but with another ttl than the cluster file's 30.
    const drifted = (): FakeProvider => {
      const fake = FakeProvider.pool(3)
      fake.records.set('www.example.test.', {name: 'www.example.test.', type: 'A', ttl: 300, values: ['127.0.2.1', '127.0.2.2', '127.0.2.3']})
      return fake
    }
    const world = new World(drifted())
    const {outcome} = await world.round()
    expect(outcome.dnsPublished).to.equal(true)
    expect(world.codes('dns.published')[0]).to.include('ttl 300 → 30')

    const dir = await tempDir('hactl-monitor-dns-')
    const cluster = parseCluster(
      `cluster: web\nprovider: aws\nproxy: {config: ./haproxy.cfg}\ndns: {zone: example.test., name: www.example.test., ttl: 30}\nfailover: {stateFile: ${path.join(dir, 'state.json')}}\n`,
      path.join(dir, 'hactl.yaml'),
    )
    const published = drifted()
    const report = await publishDns({cluster, cloud: published.cloud(), dnsZone: published, reporter: new MemoryReporter(), wait: false})
    expect(report.changed).to.equal(true)
    expect(world.provider.records.get('www.example.test.')).to.deep.equal(published.records.get('www.example.test.'))

    // Once fixed, later rounds ask nothing more of DNS.
    const reads = world.provider.calls.filter((c) => c === 'getRecordSet').length
    await world.rounds_(2)
    expect(world.provider.calls.filter((c) => c === 'getRecordSet')).to.have.length(reads)
  })

  it('a monitor without the lease observes but leaves the action to the holder', async () => {
    const dir = await tempDir('hactl-monitor-lease-')
    const provider = FakeProvider.pool(3)
    const store = new FileLeaseStore(path.join(dir, 'leases'))
    const a = new World(provider)
    const b = new World(provider)
    a.lease = new LeaseKeeper(store, 'm', 'a', 30_000, () => a.now)
    b.lease = new LeaseKeeper(store, 'm', 'b', 30_000, () => b.now)
    await a.rounds_(2)
    await b.rounds_(2)
    provider.set('i-1', 'stopped')
    for (let i = 0; i < 2; i++) {
      await b.round()
      await a.round()
    }
    expect(provider.calls.filter((c) => c.startsWith('associate'))).to.have.length(1)
    expect(a.codes('failover.verified')).to.have.length(1)
    expect(b.codes('failover.verified')).to.have.length(0)
    expect(b.codes('lease.standby')).to.have.length(1)
    // The standby's view is marked as such; only the holder logs the planned moves, so an incident reads as one set of actions.
    expect(b.codes('lease.standby')[0]).to.include("this monitor's view")
    expect(b.codes('failover.planned')).to.deep.equal([])
    expect(a.codes('failover.planned')).to.have.length(1)
  })
})

describe('monitor runs', () => {
  const sink = (): {log: ReturnType<typeof jsonEventLog>; lines: () => Record<string, unknown>[]} => {
    let text = ''
    const stream = {write: (s: string) => ((text += s), true)} as unknown as NodeJS.WritableStream
    return {log: jsonEventLog(stream), lines: () => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)}
  }

  it('keeps rise/fall counters between --once runs in the state file', async () => {
    const dir = await tempDir('hactl-monitor-once-')
    const stateFile = path.join(dir, 'state.json')
    const provider = FakeProvider.pool(3)
    const once = async (): Promise<Awaited<ReturnType<typeof runMonitor>>> =>
      runMonitor({once: true, intervalMs: 1000, stateFile}, SETTINGS, {provider, judge: ec2Judge, run: providerRunner(provider), log: sink().log})
    await once()
    await once()
    provider.sick('i-2')
    await once()
    expect(provider.holder('eipalloc-2')).to.equal('i-2')
    const result = await once()
    expect(provider.holder('eipalloc-2')).to.not.equal('i-2')
    expect(result.last?.done).to.equal(1)
    expect((await readState(stateFile)).counters['i-2'].health).to.equal('unhealthy')
  })

  it('a second monitor on the same state file exits busy (6) at once', async () => {
    const dir = await tempDir('hactl-monitor-lock-')
    const stateFile = path.join(dir, 'state.json')
    const provider = FakeProvider.pool(3)
    const controller = new AbortController()
    const deps = {provider, judge: ec2Judge, run: providerRunner(provider), log: sink().log}
    const first = runMonitor({once: false, intervalMs: 50, stateFile, signal: controller.signal}, SETTINGS, deps)
    const {waitFor} = await import('../../harness/wait.js')
    await waitFor('the first monitor to write its state', async () => (await readState(stateFile)).lastRound)
    const error = await runMonitor({once: true, intervalMs: 50, stateFile}, SETTINGS, deps).then(() => undefined, (e: unknown) => e as {exitCode: number})
    expect(error?.exitCode).to.equal(6)
    controller.abort()
    const result = await first
    expect(result.rounds).to.be.greaterThan(0)
    // With the first one gone, the lock is free again.
    expect((await runMonitor({once: true, intervalMs: 50, stateFile}, SETTINGS, deps)).rounds).to.equal(1)
  })

  it('writes JSON-line events with a time and the round id', async () => {
    const dir = await tempDir('hactl-monitor-events-')
    const provider = FakeProvider.pool(3)
    const {log, lines} = sink()
    await runMonitor({once: false, rounds: 3, intervalMs: 0, stateFile: path.join(dir, 's.json')}, SETTINGS, {provider, judge: ec2Judge, run: providerRunner(provider), log})
    const events = lines()
    expect(events[0]).to.include({code: 'monitor.start'})
    expect(events.every((e) => typeof e.time === 'string' && typeof e.round === 'string')).to.equal(true)
    expect(new Set(events.filter((e) => e.code === 'health.transition').map((e) => e.round)).size).to.equal(1)
  })
})
