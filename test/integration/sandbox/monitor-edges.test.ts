import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {expect} from 'chai'

import {BIN, hactl} from '../../harness/cli.js'
import {freePort} from '../../harness/ports.js'
import {parseEvents, type MonitorEvent} from '../../harness/monitor-events.js'
import {startProcess, type Started} from '../../harness/process.js'
import {hasCommand, upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface View {
  instances: {id: string; name: string; zone: string; crashed: boolean; alive: boolean}[]
  addresses: {publicIp: string; instanceId?: string}[]
}

type Event = MonitorEvent
const events = (monitor: Started): Event[] => parseEvents(monitor.output())

const coded = (monitor: Started, code: string): Event[] => events(monitor).filter((e) => e.code === code)
const rounds = (monitor: Started): number => new Set(events(monitor).map((e) => e.round)).size

function startMonitor(clusterFile: string): Started {
  // -v: the planner's notes every round, so the test can count rounds.
  return startProcess(process.execPath, [BIN, 'monitor', '-v', '-c', clusterFile], {env: {...process.env, NO_COLOR: '1'}})
}

/**
 * A copy of the sandbox's cluster file beside it (same proxies, folders and
 * state file) with some keys changed: the monitor started on it sees the
 * world differently, while clients and every other command are untouched.
 */
async function clusterVariant(sb: TestSandbox, name: string, edit: (yaml: string) => string): Promise<string> {
  const file = path.join(sb.dir, name)
  await writeFile(file, edit(await readFile(sb.clusterFile, 'utf8')))
  return file
}

/** Point the proxy health probe at a port nothing listens on: only this monitor's probes fail. */
async function unreachableHealth(): Promise<(yaml: string) => string> {
  const port = await freePort()
  return (yaml) => yaml.replace(/(proxy: \{type: http, port: )\d+/, `$1${port}`)
}

describe('the monitor at its edges, on the sandbox', function () {
  this.timeout(240_000)
  let sb: TestSandbox
  let monitor: Started | undefined

  const view = async (): Promise<View> => JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
  const holders = async (): Promise<Map<string, number>> => {
    const v = await view()
    const byName = new Map(v.instances.map((i) => [i.name, 0]))
    for (const a of v.addresses) {
      const name = v.instances.find((i) => i.id === a.instanceId)?.name
      if (name) byName.set(name, (byName.get(name) ?? 0) + 1)
    }
    return byName
  }

  before(async function () {
    if (!hasCommand('monitor')) this.skip()
    sb = await upSandbox(42, {extra: ['--hold-down', '8000']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    monitor = startMonitor(sb.clusterFile)
    await waitFor('the monitor to see every proxy healthy', () => coded(monitor as Started, 'health.transition').length >= 3 || undefined, 30_000)
  })

  after(async () => {
    await monitor?.stop()
    await sb?.down()
  })

  it('spreads the pool back by itself after the hold-down; until then status says degraded and when', async () => {
    const before = await view()
    const victim = before.instances.find((i) => before.addresses.some((a) => a.instanceId === i.id)) as View['instances'][number]
    expect((await sb.run(['sandbox', 'kill', victim.name])).code).to.equal(0)
    await waitFor('the victim to lose its address', async () => (await holders()).get(victim.name) === 0 || undefined, 30_000)
    expect((await sb.run(['sandbox', 'revive', victim.name])).code).to.equal(0)

    const status = await waitFor(
      'status to show the unbalanced pool',
      async () => {
        const s = await sb.run(['status', '--no-backends'])
        return /the pool is unbalanced/.test(s.stdout) ? s : undefined
      },
      30_000,
    )
    expect(status.code, status.stdout).to.equal(5)
    expect(status.stdout).to.not.include('all well')
    expect(status.stdout).to.match(new RegExp(`holds none; the monitor moves one back (after the hold-down, at \\S+ \\(in \\d+ s\\)|once it has seen it healthy)`))

    await waitFor('one address on every proxy again', async () => [...(await holders()).values()].every((n) => n === 1) || undefined, 60_000)
    const back = coded(monitor as Started, 'failover.planned').filter((e) => e.message.includes('rebalance:'))
    expect(back, 'one move back, by the monitor').to.have.length(1)
    const settled = await waitFor('status to settle', async () => {
      const s = await sb.run(['status', '--no-backends'])
      return s.code === 0 ? s : undefined
    }, 30_000)
    expect(settled.stdout).to.include('all well')
  })

  it('all proxies dead, one revived in its hold-down: every address goes to it, with one alert for the whole outage', async () => {
    const before = await view()
    const m = monitor as Started
    await Promise.all(before.instances.map(async (i) => expect((await sb.run(['sandbox', 'kill', i.name])).code).to.equal(0)))
    const alert = await waitFor('the cut-off alert', () => coded(m, 'failover.alert').find((e) => e.message.includes('3 of 3 proxies unreachable from here')), 30_000)
    expect(alert.message).to.equal('the monitor may be cut off: 3 of 3 proxies unreachable from here; no moves while it sees none, still probing')
    const alerts = coded(m, 'failover.alert').length
    const seen = rounds(m)
    await waitFor('ten more rounds', () => rounds(m) >= seen + 10 || undefined, 60_000)
    expect(coded(m, 'failover.alert'), 'one alert per incident, not one per round').to.have.length(alerts)

    // Revive a proxy that lost an address within the hour: once healthy, it is in its hold-down again.
    const lost = coded(m, 'failover.verified').length > 0 ? coded(m, 'failover.planned').map((e) => e.data?.from as string) : []
    const revived = before.instances.find((i) => lost.includes(i.id)) as View['instances'][number]
    expect(revived, 'a proxy that lost an address').to.not.equal(undefined)
    const plannedBefore = coded(m, 'failover.planned').length
    expect((await sb.run(['sandbox', 'revive', revived.name])).code).to.equal(0)
    await waitFor('every address on the revived proxy', async () => (await holders()).get(revived.name) === 3 || undefined, 30_000)
    const moves = coded(m, 'failover.planned').slice(plannedBefore)
    expect(moves.length).to.be.greaterThan(0)
    for (const move of moves) expect(move.message).to.include(`${revived.id} is in its hold-down, but no other healthy proxy can take it`)
    expect(coded(m, 'failover.resolved').map((e) => e.message).join('\n')).to.include('resolved: the monitor may be cut off')
    for (const n of [1, 2, 3]) expect((await sb.get(sb.eip(n))).proxy).to.equal(revived.name)
    for (const i of before.instances) if (i.name !== revived.name) expect((await sb.run(['sandbox', 'revive', i.name])).code).to.equal(0)
  })

  it('eip rebalance says what it waits for and when; newly allocated addresses are attached without spending the budget', async () => {
    await monitor?.stop()
    monitor = undefined
    // A hold-down long enough that the test cannot outrun it, and (strict) a remap budget of none.
    const long = await clusterVariant(sb, 'hactl-long.yaml', (yaml) => yaml.replace(/holdDown: \d+ms/, 'holdDown: 120000ms'))
    const strict = await clusterVariant(sb, 'hactl-strict.yaml', (yaml) => yaml.replace(/holdDown: \d+ms/, 'holdDown: 120000ms').replace(/maxRemapsPerHour: \d+/, 'maxRemapsPerHour: 0'))
    await waitFor('every proxy healthy', async () => (await sb.run(['health', 'check', '--target', 'proxies'])).code === 0 || undefined, 30_000)
    const v = await view()
    const [a, b, c] = v.instances
    // One address each on a and b, the rest on c; then a and b die and `eip failover` moves theirs to c.
    expect((await sb.run(['eip', 'attach', sb.eip(1), a.name])).code).to.equal(0)
    expect((await sb.run(['eip', 'attach', sb.eip(2), b.name])).code).to.equal(0)
    expect((await sb.run(['eip', 'attach', sb.eip(3), c.name])).code).to.equal(0)
    for (const victim of [a, b]) expect((await sb.run(['sandbox', 'kill', victim.name])).code).to.equal(0)
    const failover = await hactl(['eip', 'failover', '-c', long])
    expect(failover.code, failover.stdout + failover.stderr).to.equal(0)
    for (const victim of [a, b]) expect((await sb.run(['sandbox', 'revive', victim.name])).code).to.equal(0)
    await waitFor('every proxy healthy again', async () => (await sb.run(['health', 'check', '--target', 'proxies'])).code === 0 || undefined, 30_000)

    const waiting = await hactl(['eip', 'rebalance', '-c', long])
    expect(waiting.code, waiting.stderr).to.equal(0)
    expect(waiting.stdout).to.not.include('the pool is balanced')
    expect(waiting.stdout).to.match(new RegExp(`not balanced yet: ${c.name} holds 3 addresses while ${a.name} \\(0\\), ${b.name} \\(0\\) wait out their hold-down after losing an address, until \\S+ \\(in \\d+ s\\)`))
    expect((await holders()).get(c.name)).to.equal(3)

    // With a budget of none, new addresses are still attached: attaching is not a remap.
    const remaps = async (): Promise<number> =>
      (JSON.parse(await readFile(path.join(sb.dir, '.hactl-monitor-sandbox.json'), 'utf8')) as {remaps: unknown[]}).remaps.length
    const spent = await remaps()
    for (const count of [4, 5]) {
      expect((await hactl(['eip', 'allocate', '--count', String(count), '-c', strict])).code).to.equal(0)
      const attach = await hactl(['eip', 'rebalance', '-c', strict])
      expect(attach.code, attach.stdout + attach.stderr).to.equal(0)
      expect(attach.stdout).to.not.include('budget')
      const after = await view()
      expect(after.addresses).to.have.length(count)
      expect(after.addresses.every((x) => x.instanceId !== undefined), 'every address attached').to.equal(true)
    }
    expect(await remaps(), 'attaching spends no budget').to.equal(spent)
  })
})

describe('a monitor cut off from the proxies, on the sandbox', function () {
  this.timeout(240_000)
  let sb: TestSandbox
  const started: Started[] = []

  before(async function () {
    if (!hasCommand('monitor')) this.skip()
    sb = await upSandbox(43, {extra: ['--hold-down', '2000']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    for (const m of started) await m.stop()
    await sb?.down()
  })

  it('moves nothing, raises one alert, and status is never "all well" meanwhile', async () => {
    const cut = await clusterVariant(sb, 'hactl-cut.yaml', await unreachableHealth())
    const monitor = startMonitor(cut)
    started.push(monitor)
    const alert = await waitFor('the cut-off alert', () => coded(monitor, 'failover.alert')[0], 30_000)
    expect(alert.message).to.include('the monitor may be cut off: 3 of 3 proxies unreachable from here')
    const seen = rounds(monitor)
    await waitFor('ten more rounds', () => rounds(monitor) >= seen + 10 || undefined, 60_000)
    expect(coded(monitor, 'failover.alert')).to.have.length(1)
    expect(coded(monitor, 'failover.associate')).to.deep.equal([])

    // From here (the status command's own probes) every proxy answers; the monitor's view still counts.
    const status = await sb.run(['status', '--no-backends'])
    expect(status.code, status.stdout).to.equal(5)
    expect(status.stdout).to.not.include('all well')
    expect(status.stdout).to.include('monitor alert since')
    expect(status.stdout).to.match(/the monitor's last round \(\S+ at \S+\) saw 3 of 3 proxies unhealthy; 3 answer from here/)
    await monitor.stop()
  })

  it('with a lease, the cut-off holder gives it up and a monitor with a clear view acts', async () => {
    const lease = (yaml: string, stateFile: string): string => yaml.replace(/failover:\n/, `failover:\n  stateFile: ./${stateFile}\n  lease: {table: monitors, ttl: 30s}\n`)
    const cutHealth = await unreachableHealth()
    const cutFile = await clusterVariant(sb, 'hactl-cut-lease.yaml', (yaml) => cutHealth(lease(yaml, 'cut-state.json')))
    const clearFile = await clusterVariant(sb, 'hactl-clear-lease.yaml', (yaml) => lease(yaml, 'clear-state.json'))
    expect((await hactl(['lease', 'init', '-c', clearFile])).code).to.equal(0)

    const cut = startMonitor(cutFile)
    started.push(cut)
    // Its first round still takes the lease (one failed probe is below fall); the next ones doubt the view.
    await waitFor('the cut-off monitor to give the lease up', () => coded(cut, 'lease.released')[0], 30_000)
    const clear = startMonitor(clearFile)
    started.push(clear)
    const holder = await waitFor(
      'the clear monitor to hold the lease',
      async () => {
        const shown = JSON.parse((await hactl(['lease', 'show', '--json', '-c', clearFile])).stdout) as {holder?: string; held?: boolean}
        return shown.held && shown.holder ? shown.holder : undefined
      },
      30_000,
    )
    const v = JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
    const victim = v.instances.find((i) => v.addresses.some((a) => a.instanceId === i.id)) as View['instances'][number]
    expect((await sb.run(['sandbox', 'kill', victim.name])).code).to.equal(0)
    await waitFor('the clear monitor to move the address', () => coded(clear, 'failover.verified')[0], 30_000)
    const after = JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
    expect(after.addresses.some((a) => a.instanceId === victim.id)).to.equal(false)
    expect(coded(cut, 'failover.planned'), 'the cut-off monitor plans nothing').to.deep.equal([])
    expect(coded(cut, 'failover.associate')).to.deep.equal([])
    const shown = JSON.parse((await hactl(['lease', 'show', '--json', '-c', cutFile])).stdout) as {holder?: string}
    expect(shown.holder).to.equal(holder)
  })
})
