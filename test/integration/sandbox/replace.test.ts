import {expect} from 'chai'

import {BIN} from '../../harness/cli.js'
import {startProcess, type Started} from '../../harness/process.js'
import {parseEvents, type MonitorEvent} from '../../harness/monitor-events.js'
import {hasCommand, steadyTraffic, upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface Instance {
  id: string
  name: string
  zone: string
  tags: Record<string, string>
}
interface View {
  instances: Instance[]
  addresses: {publicIp: string; instanceId?: string; tags: Record<string, string>}[]
}

const PAIR = 'hactl:pair'
const STEPS = ['replace.started', 'replace.launched', 'replace.pushed', 'replace.healthy', 'replace.moved', 'replace.done']

async function view(sb: TestSandbox): Promise<View> {
  return JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
}

function startMonitor(sb: TestSandbox): Started {
  return startProcess(process.execPath, [BIN, 'monitor', '--json', '-c', sb.clusterFile], {env: {...process.env, NO_COLOR: '1'}})
}

/**
 * failover.replace end to end in the sandbox: a proxy lost for good (`sandbox
 * kill --terminate`) under traffic is replaced by the monitor in its zone,
 * the replacement gets the config, passes its probe and gets the address
 * back; `status` shows the replacement while it is in flight.
 */
describe('failover.replace in the sandbox, topology pool', function () {
  this.timeout(240_000)
  let sb: TestSandbox
  let monitor: Started | undefined

  before(async function () {
    if (!hasCommand('monitor')) this.skip()
    sb = await upSandbox(66, {extra: ['--replace-after', '1000', '--hold-down', '2000']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    monitor = startMonitor(sb)
    await waitFor('the monitor to see the proxies healthy', () => parseEvents(monitor?.output() ?? '').filter((e) => e.code === 'health.transition').length >= 3 || undefined, 30_000)
  })

  after(async () => {
    await monitor?.stop()
    await sb?.down()
  })

  it('kill --terminate proxy-2 under traffic: a replacement is launched in its zone, gets the config, serves, and holds its address again', async () => {
    const ip = sb.eip(2)
    const before = await view(sb)
    const dead = before.instances.find((i) => i.name === 'proxy-2') as Instance
    expect(before.addresses.find((a) => a.publicIp === ip)?.instanceId).to.equal(dead.id)
    const traffic = steadyTraffic(sb, ip)
    await waitFor('steady traffic', () => traffic.log.filter((p) => p.ok).length > 10 || undefined)

    const dry = await sb.run(['sandbox', 'kill', '--terminate', '--dry-run', 'proxy-2'])
    expect(dry.stdout).to.match(new RegExp(`^would kill proxy-2 \\(${dead.id}, haproxy pid \\d+, kill -9\\) and terminate it`))
    expect((await view(sb)).instances.map((i) => i.id), '--dry-run changes nothing').to.include(dead.id)

    const kill = await sb.run(['sandbox', 'kill', '--terminate', 'proxy-2'])
    expect(kill.code, kill.stderr).to.equal(0)
    expect(kill.stdout).to.contain(`terminated proxy-2 (${dead.id}`).and.contain(`${ip} fell off it`)
    const killedAt = Date.now()
    const gone = await view(sb)
    expect(gone.instances.map((i) => i.id), 'terminated: gone from the sandbox').to.not.include(dead.id)

    const done = await waitFor('the replacement done', () => parseEvents(monitor?.output() ?? '').find((e) => e.code === 'replace.done' && e.subject === dead.id), 60_000)
    const replacement = done.data?.replacement as string
    const log = parseEvents(monitor?.output() ?? '').filter((e) => e.subject === dead.id && e.code.startsWith('replace.') && e.code !== 'replace.note')
    expect(log.map((e) => e.code), 'each step once, in order').to.deep.equal(STEPS)
    expect(log[0].message).to.contain('terminated').and.contain(dead.zone)

    const after = await view(sb)
    const fresh = after.instances.find((i) => i.id === replacement) as Instance
    expect(fresh, 'the replacement runs').to.not.equal(undefined)
    expect(fresh.id).to.not.equal(dead.id)
    expect(fresh.zone, 'in the dead one\'s zone').to.equal(dead.zone)
    expect(after.addresses.find((a) => a.publicIp === ip)?.instanceId, `${ip} is back on the replacement`).to.equal(replacement)
    expect(after.instances).to.have.length(3)

    // Requests sent after the move back are served by the replacement.
    const movedAt = Date.now()
    await waitFor('traffic served by the replacement', () => traffic.log.filter((p) => p.send > movedAt && p.ok && p.proxy === fresh.name).length > 10 || undefined, 20_000)
    traffic.stop()
    expect(traffic.log.filter((p) => p.send > movedAt && !p.ok), 'no failed request once it holds the address').to.deep.equal([])
    expect(traffic.log.some((p) => p.send > killedAt && p.ok), 'the address served during the replacement too').to.equal(true)

    const status = await sb.run(['status', '--no-backends', '--json'])
    expect(status.code, status.stdout).to.equal(0)
  })

  it('run from cron (--once a round): status shows the replacement in flight, and each run carries on where the last stopped', async () => {
    await monitor?.stop()
    monitor = undefined
    const before = await view(sb)
    const dead = before.instances.find((i) => i.name === 'proxy-3') as Instance
    expect((await sb.run(['sandbox', 'kill', '--terminate', 'proxy-3'])).code).to.equal(0)
    const once = async (): Promise<MonitorEvent[]> => parseEvents((await sb.run(['monitor', '--once', '--json'])).stdout)
    const seen: MonitorEvent[] = []
    seen.push(...(await once()))
    const started = await waitFor(
      'a round that starts the replacement',
      async () => {
        const round = await once()
        seen.push(...round)
        return round.find((e) => e.code === 'replace.started') ?? undefined
      },
      30_000,
      1000,
    )
    expect(started.subject).to.equal(dead.id)
    const status = await sb.run(['status', '--no-backends'])
    expect(status.code, 'degraded while a proxy is being replaced').to.equal(5)
    expect(status.stdout, status.stdout).to.match(new RegExp(`the monitor is replacing ${dead.id} \\(proxy-3, terminated\\) in ${dead.zone}: launching`))
    const json = JSON.parse((await sb.run(['status', '--no-backends', '--json'])).stdout) as {monitor: {replacing?: {dead: string; step: string}[]}}
    expect(json.monitor.replacing?.map((r) => [r.dead, r.step])).to.deep.equal([[dead.id, 'launch']])

    await waitFor(
      'the replacement done over --once runs',
      async () => {
        const round = await once()
        seen.push(...round)
        return round.some((e) => e.code === 'replace.done') || undefined
      },
      60_000,
      0,
    )
    expect(seen.filter((e) => e.code === 'replace.launched'), 'launched once over all the runs').to.have.length(1)
    const after = await view(sb)
    expect(after.instances).to.have.length(3)
    const replacement = seen.find((e) => e.code === 'replace.launched')?.data?.replacement
    expect(after.addresses.find((a) => a.publicIp === sb.eip(3))?.instanceId).to.equal(replacement)
    const clean = await sb.run(['status', '--no-backends'])
    expect(clean.stdout, clean.stdout).to.not.contain('the monitor is replacing')
  })
  it('a proxy that stops answering (killed, not terminated) is replaced too, and terminated only once its replacement holds its address', async () => {
    monitor = startMonitor(sb)
    const before = await view(sb)
    const dead = before.instances.find((i) => i.name === 'proxy-1') as Instance
    expect((await sb.run(['sandbox', 'kill', 'proxy-1'])).code).to.equal(0)
    const done = await waitFor('the replacement done', () => parseEvents(monitor?.output() ?? '').find((e) => e.code === 'replace.done' && e.subject === dead.id), 60_000)
    const log = parseEvents(monitor?.output() ?? '').filter((e) => e.subject === dead.id && e.code.startsWith('replace.') && e.code !== 'replace.note')
    expect(log.map((e) => e.code)).to.deep.equal([...STEPS.slice(0, -1), 'replace.terminated', 'replace.done'])
    expect(log[0].message).to.contain('failing its probes')
    const after = await view(sb)
    const fresh = after.instances.find((i) => i.id === done.data?.replacement) as Instance
    expect(fresh.zone).to.equal(dead.zone)
    expect(after.instances.map((i) => i.id), 'the dead one is terminated').to.not.include(dead.id)
    expect(after.instances).to.have.length(3)
    expect(after.addresses.find((a) => a.publicIp === sb.eip(1))?.instanceId).to.equal(fresh.id)
    expect((await sb.get(sb.eip(1))).proxy).to.equal(fresh.name)
  })
})

describe('failover.replace in the sandbox, topology pairs', function () {
  this.timeout(240_000)
  let sb: TestSandbox
  let monitor: Started | undefined

  before(async function () {
    if (!hasCommand('monitor')) this.skip()
    sb = await upSandbox(67, {extra: ['--topology', 'pairs', '--proxies', '4', '--replace-after', '1000', '--hold-down', '2000']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    monitor = startMonitor(sb)
    await waitFor('the monitor to see the proxies healthy', () => parseEvents(monitor?.output() ?? '').filter((e) => e.code === 'health.transition').length >= 4 || undefined, 30_000)
  })

  after(async () => {
    await monitor?.stop()
    await sb?.down()
  })

  it('the active member terminated under traffic: its partner serves, the replacement joins the same pair, the address stays in the pair', async () => {
    const ip = sb.eip(1)
    const before = await view(sb)
    const address = before.addresses.find((a) => a.publicIp === ip)
    const pair = address?.tags[PAIR] as string
    const dead = before.instances.find((i) => i.id === address?.instanceId) as Instance
    const partner = before.instances.find((i) => i.tags[PAIR] === pair && i.id !== dead.id) as Instance
    const traffic = steadyTraffic(sb, ip)
    await waitFor('steady traffic', () => traffic.log.filter((p) => p.ok).length > 10 || undefined)
    expect((await sb.run(['sandbox', 'kill', '--terminate', dead.name])).code).to.equal(0)

    const done = await waitFor('the replacement done', () => parseEvents(monitor?.output() ?? '').find((e) => e.code === 'replace.done' && e.subject === dead.id), 60_000)
    traffic.stop()
    const replacement = done.data?.replacement as string
    const after = await view(sb)
    const fresh = after.instances.find((i) => i.id === replacement) as Instance
    expect(fresh.tags[PAIR], 'the replacement is in the dead member\'s pair').to.equal(pair)
    expect(fresh.zone).to.equal(dead.zone)
    expect(after.instances.filter((i) => i.tags[PAIR] === pair).map((i) => i.id).sort()).to.deep.equal([partner.id, replacement].sort())
    // The partner holds the address alive: it keeps it (moving it would be an outage for nothing).
    expect(after.addresses.find((a) => a.publicIp === ip)?.instanceId).to.equal(partner.id)
    const steps = parseEvents(monitor?.output() ?? '').filter((e) => e.subject === dead.id && e.code.startsWith('replace.') && e.code !== 'replace.note').map((e) => e.code)
    expect(steps).to.deep.equal(['replace.started', 'replace.launched', 'replace.pushed', 'replace.healthy', 'replace.done'])
    const served = new Set(traffic.log.filter((p) => p.ok).map((p) => p.proxy))
    expect([...served].sort(), 'only the pair served its address').to.deep.equal([dead.name, partner.name].sort())
  })
})
