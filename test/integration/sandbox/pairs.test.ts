import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {BIN} from '../../harness/cli.js'
import {startProcess, type Started} from '../../harness/process.js'
import {hasCommand, steadyTraffic, upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface Instance {
  id: string
  name: string
  zone: string
  crashed: boolean
  tags: Record<string, string>
}
interface View {
  instances: Instance[]
  addresses: {publicIp: string; instanceId?: string; tags: Record<string, string>}[]
}

const PAIR = 'hactl:pair'

/**
 * `sandbox up --topology pairs` end to end, with `hactl monitor` running: the
 * active member of a pair killed under traffic hands its address to its
 * partner; with both members dead the monitor alerts and the address stays in
 * its pair. Every association the sandbox made during the test (its
 * supervisor logs each one) stays inside the address's pair.
 */
describe('topology pairs on the sandbox with hactl monitor running', function () {
  this.timeout(180_000)
  let sb: TestSandbox
  let monitor: Started | undefined

  const view = async (): Promise<View> => JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
  const membersOf = (v: View, pair: string): Instance[] => v.instances.filter((i) => i.tags[PAIR] === pair)

  before(async function () {
    if (!hasCommand('monitor')) this.skip()
    sb = await upSandbox(58, {extra: ['--topology', 'pairs', '--hold-down', '2000']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    monitor = startProcess(process.execPath, [BIN, 'monitor', '-c', sb.clusterFile], {env: {...process.env, NO_COLOR: '1'}})
    await waitFor('the monitor to see every proxy healthy', () => /healthy/.test(monitor?.output() ?? '') || undefined, 20_000)
  })

  after(async () => {
    await monitor?.stop()
    await sb?.down()
  })

  it('runs six proxies in three zones as three pairs, each across two zones, each address on a member of its own pair', async () => {
    const v = await view()
    expect(v.instances).to.have.length(6)
    expect(new Set(v.instances.map((i) => i.zone)).size).to.equal(3)
    expect(v.addresses.map((a) => a.tags[PAIR])).to.deep.equal(['pair-1', 'pair-2', 'pair-3'])
    for (const pair of ['pair-1', 'pair-2', 'pair-3']) {
      const members = membersOf(v, pair)
      expect(members, pair).to.have.length(2)
      expect(new Set(members.map((m) => m.zone)).size, `${pair} across two zones`).to.equal(2)
      const address = v.addresses.find((a) => a.tags[PAIR] === pair)
      expect(members.map((m) => m.id)).to.include(address?.instanceId)
    }
    const status = await sb.run(['status', '--json'])
    expect(status.code, status.stdout).to.equal(0)
    const report = JSON.parse(status.stdout) as {topology: string; proxies: {pair: string}[]; addresses: {pair: string}[]}
    expect(report.topology).to.equal('pairs')
    expect(report.proxies.map((p) => p.pair)).to.deep.equal(['pair-1', 'pair-1', 'pair-2', 'pair-2', 'pair-3', 'pair-3'])
    expect([...(await sb.resolve('www.sandbox.test'))].sort()).to.deep.equal([sb.eip(1), sb.eip(2), sb.eip(3)])
  })

  it('kill the active member under traffic: its partner holds the address; no other pair serves it, no other address moves', async () => {
    const ip = sb.eip(1)
    const before = await view()
    const address = before.addresses.find((a) => a.publicIp === ip)
    const pair = address?.tags[PAIR] as string
    const active = membersOf(before, pair).find((m) => m.id === address?.instanceId) as Instance
    const partner = membersOf(before, pair).find((m) => m.id !== address?.instanceId) as Instance
    const traffic = steadyTraffic(sb, ip)
    await waitFor('steady traffic', () => traffic.log.filter((p) => p.ok).length > 10 || undefined)
    const killedAt = Date.now()
    const kill = await sb.run(['sandbox', 'kill', active.name])
    expect(kill.code, kill.stderr).to.equal(0)
    await waitFor('traffic served by the partner', () => traffic.log.some((p) => p.send > killedAt && p.ok && p.proxy === partner.name) || undefined, 30_000)
    traffic.stop()
    const served = new Set(traffic.log.filter((p) => p.ok).map((p) => p.proxy))
    expect([...served].sort(), 'only the pair serves its address').to.deep.equal([active.name, partner.name].sort())
    const lastOk = Math.max(...traffic.log.filter((p) => p.ok && p.send < killedAt).map((p) => p.done))
    const firstOk = Math.min(...traffic.log.filter((p) => p.ok && p.send > killedAt && p.proxy === partner.name).map((p) => p.done))
    // Bounded, not timed: detection is 2 × 500 ms at the sandbox defaults; a busy machine gets wide room.
    expect(firstOk - lastOk, 'downtime in ms').to.be.lessThan(10_000)

    const after = await view()
    expect(after.addresses.find((a) => a.publicIp === ip)?.instanceId).to.equal(partner.id)
    for (const a of after.addresses.filter((x) => x.publicIp !== ip)) {
      expect(a.instanceId, `${a.publicIp} stays`).to.equal(before.addresses.find((b) => b.publicIp === a.publicIp)?.instanceId)
    }
  })

  it('both members of a pair dead: the monitor alerts, status exits 5, and the address never moves to another pair', async () => {
    const ip = sb.eip(1)
    const before = await view()
    const pair = before.addresses.find((a) => a.publicIp === ip)?.tags[PAIR] as string
    const members = membersOf(before, pair)
    const alive = members.find((m) => !m.crashed) as Instance
    expect((await sb.run(['sandbox', 'kill', alive.name])).code).to.equal(0)
    await waitFor(
      `the monitor's alert for ${ip} (${pair})`,
      () => (monitor?.output() ?? '').split('\n').some((l) => l.includes(ip) && l.includes(`pair ${pair}`) && /no healthy member of the pair/.test(l)) || undefined,
      30_000,
    )
    const status = await sb.run(['status'])
    expect(status.code).to.equal(5)
    expect(members.map((m) => m.id), 'the address is still on a member of its pair').to.include((await view()).addresses.find((a) => a.publicIp === ip)?.instanceId)
    for (const n of [2, 3]) expect((await sb.get(sb.eip(n))).status, `${sb.eip(n)} still serves`).to.equal(200)

    // One member back: the monitor gives the pair its address again, inside the pair.
    expect((await sb.run(['sandbox', 'revive', members[0].name])).code).to.equal(0)
    await waitFor(`${ip} served again by ${members[0].name}`, async () => (await sb.get(ip).catch(() => undefined))?.proxy === members[0].name || undefined, 30_000)
  })

  it('every association the sandbox made stayed inside the address\'s pair', async () => {
    const v = await view()
    const pairOf = new Map(v.instances.map((i) => [i.id, i.tags[PAIR]]))
    const addressPair = new Map(v.addresses.map((a) => [a.publicIp, a.tags[PAIR]]))
    const log = await readFile(path.join(sb.dir, '.hactl-sandbox', 'supervisor.log'), 'utf8')
    const moves = log
      .split('\n')
      .filter((l) => l.includes('"sandbox.associate"'))
      .map((l) => (JSON.parse(l) as {data?: {publicIp: string; to?: string}}).data)
      .filter((d): d is {publicIp: string; to?: string} => d?.to !== undefined)
    // Three attachments at start, the partner's takeover and the revived member's: at least five.
    expect(moves.length).to.be.greaterThanOrEqual(5)
    for (const m of moves) expect(pairOf.get(m.to as string), `${m.publicIp} → ${m.to}`).to.equal(addressPair.get(m.publicIp))
  })
})
