import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {loadCluster} from '../../../src/cluster/loader.js'
import {createAwsProvider, type AwsProvider} from '../../../src/cloud/aws/provider.js'
import {BIN, hactl} from '../../harness/cli.js'
import {createZone, inspect, sharedMoto, ZONES, type Moto} from '../../harness/moto.js'
import {stopInstance} from '../aws/helpers.js'
import {waitFor} from '../../harness/wait.js'

/** A cluster of three proxies with an address each and the DNS record, built in moto through the provider. */
async function buildCluster(name: string, zoneId: string, dirs = 1, leaseTtl = '3s'): Promise<{dirs: string[]; provider: AwsProvider}> {
  const yaml = `cluster: ${name}
provider: aws
region: us-east-1
proxy:
  config: ./haproxy.cfg
  # moto's instances have made-up addresses: nothing to reach over SSH
  converge: off
  instances: {count: 3, zones: [${ZONES.join(', ')}], image: ami-12c6146b}
dns: {zone: example.com., name: www.example.com., ttl: 30, hostedZoneId: ${zoneId}}
health: {proxy: {type: ec2, interval: 200ms, rise: 1, fall: 2}}
failover: {holdDown: 0s, maxRemapsPerHour: 10, lease: {table: hactl-leases, ttl: ${leaseTtl}}}
`
  const made: string[] = []
  for (let i = 0; i < dirs; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-monitor-moto-'))
    await writeFile(path.join(dir, 'hactl.yaml'), yaml)
    await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n')
    made.push(dir)
  }
  const provider = await createAwsProvider(await loadCluster(path.join(made[0], 'hactl.yaml')), {retry: {maxAttempts: 2}})
  const proxies = await provider.launchProxies(ZONES.map((zone) => ({zone})), {clientToken: `${name}-launch`})
  for (const proxy of proxies) {
    const address = await provider.allocateAddress()
    await provider.associateAddress(address.allocationId, proxy.id)
  }
  const addresses = await provider.listAddresses()
  await provider.upsertRecordSet({name: 'www.example.com.', type: 'A', ttl: 30, values: addresses.map((a) => a.publicIp).sort()})
  return {dirs: made, provider}
}

async function events(file: string): Promise<{code: string; subject?: string; round: string}[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as {code: string; subject?: string; round: string})
}

describe('monitor end to end against moto (EC2, Route 53, DynamoDB)', function () {
  this.timeout(120_000)
  let moto: Moto
  let zoneId: string
  const children: ChildProcess[] = []
  const saved = {...process.env}
  before(async () => {
    moto = await sharedMoto()
    // The test's own provider (to build and inspect the cloud) talks to this moto too.
    Object.assign(process.env, moto.env)
    zoneId = await createZone(inspect(moto).r53)
  })
  after(async () => {
    process.env = saved
    for (const child of children) child.kill('SIGKILL')
    await moto.stop()
  })
  const cli = (args: string[], cwd: string): ReturnType<typeof hactl> => hactl(args, {cwd, env: moto.env})

  it('lease init creates the DynamoDB table, and again changes nothing', async () => {
    const {dirs} = await buildCluster('lease-init', zoneId)
    const first = await cli(['lease', 'init'], dirs[0])
    expect(first.stdout, first.stderr).to.include('created DynamoDB table hactl-leases')
    const again = await cli(['lease', 'init'], dirs[0])
    expect(again.code).to.equal(0)
    expect(again.stdout).to.include('already exists: nothing to do')
    const shown = await cli(['lease', 'show', '--json'], dirs[0])
    expect(JSON.parse(shown.stdout)).to.deep.include({name: 'monitor/lease-init', held: false})
  })

  it('health check with type ec2 judges proxies and addresses by the cloud, sending no packet', async () => {
    const {dirs, provider} = await buildCluster('health', zoneId)
    const [victim] = await provider.listProxies()
    await stopInstance(moto, victim.id)
    const result = await cli(['health', 'check', '--target', 'all', '--json'], dirs[0])
    expect(result.code, result.stderr).to.equal(5)
    const report = JSON.parse(result.stdout) as {rows: {target: string; kind: string; probe: string; result: string; detail: string}[]}
    const proxies = report.rows.filter((r) => r.kind === 'proxy')
    const addresses = report.rows.filter((r) => r.kind === 'address')
    expect(proxies).to.have.length(3)
    expect(addresses).to.have.length(3)
    expect(report.rows.every((r) => r.probe === 'ec2')).to.equal(true)
    expect(proxies.find((r) => r.target.includes(victim.id))).to.include({result: 'fail'})
    expect(addresses.filter((r) => r.result === 'fail').map((r) => r.detail)).to.deep.equal([`on ${victim.id} (unhealthy)`])
  })

  it('status shows proxies, addresses, DNS, the monitor and the lease; exit 5 once a proxy is down', async () => {
    const {dirs, provider} = await buildCluster('status', zoneId, 1, '5m')
    await cli(['lease', 'init'], dirs[0])
    await cli(['monitor', '--once'], dirs[0])
    const well = await cli(['status', '--json'], dirs[0])
    expect(well.code, well.stderr + well.stdout).to.equal(0)
    const report = JSON.parse(well.stdout) as {proxies: {health: string}[]; addresses: {healthy: boolean}[]; dns: {ok: boolean}; lease: {held: boolean}; monitor: {lastRound?: {healthy: number}}}
    expect(report.proxies.map((p) => p.health)).to.deep.equal(['healthy', 'healthy', 'healthy'])
    expect(report.addresses.every((a) => a.healthy)).to.equal(true)
    expect(report.dns.ok).to.equal(true)
    expect(report.lease.held).to.equal(true)
    expect(report.monitor.lastRound?.healthy).to.equal(3)

    const [victim] = await provider.listProxies()
    await stopInstance(moto, victim.id)
    const down = await cli(['status'], dirs[0])
    expect(down.code).to.equal(5)
    expect(down.stdout, down.stdout).to.match(/proxy \S+ is stopped/)
    // These proxies share one Name (launched without names): each is named with its id beside it.
    expect(down.stdout).to.match(/address \S+ is on status-proxy \(i-\S+\), which is not healthy/)
    expect(down.stdout).to.match(/lease monitor\/status: held by/)
  })

  it('monitor --once moves the address of a stopped proxy to a healthy one and leaves DNS unchanged', async () => {
    const {dirs, provider} = await buildCluster('once', zoneId, 1, '5m')
    await cli(['lease', 'init'], dirs[0])
    const before = await provider.getRecordSet('www.example.com.')
    const quiet = await cli(['monitor', '--once'], dirs[0])
    expect(quiet.code, quiet.stderr).to.equal(0)
    const [victim] = await provider.listProxies()
    const address = (await provider.listAddresses()).find((a) => a.instanceId === victim.id)
    await stopInstance(moto, victim.id)
    const dry = await cli(['monitor', '--dry-run'], dirs[0])
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.include('"code":"failover.planned"')
    expect((await provider.listAddresses()).find((a) => a.allocationId === address?.allocationId)?.instanceId, '--dry-run moves nothing').to.equal(victim.id)
    const run = await cli(['monitor', '--once'], dirs[0])
    expect(run.code, run.stderr + run.stdout).to.equal(0)
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as {code: string; time: string; round: string})
    expect(lines.map((l) => l.code)).to.include.members(['failover.planned', 'failover.verified'])
    expect(lines.every((l) => l.time && l.round)).to.equal(true)
    const now = (await provider.listAddresses()).find((a) => a.allocationId === address?.allocationId)
    const holder = (await provider.listProxies()).find((p) => p.id === now?.instanceId)
    expect(holder?.state).to.equal('running')
    expect(holder?.zone).to.not.equal(victim.zone)
    expect((await provider.getRecordSet('www.example.com.'))?.values).to.deep.equal(before?.values)
    const shown = await cli(['lease', 'show'], dirs[0])
    // Both runs are one actor (same host, same state file): the second renewed the first one's lease.
    expect(shown.stdout).to.match(/held by .+:[0-9a-f]{8}, token 1, expires in/)
  })

  it('a looping monitor stops on SIGTERM after its round and exits 0', async () => {
    const {dirs} = await buildCluster('sigterm', zoneId, 1, '5m')
    await cli(['lease', 'init'], dirs[0])
    const log = path.join(dirs[0], 'events.jsonl')
    const child = spawn(process.execPath, [BIN, 'monitor', '-v', '--interval', '200ms', '--log-file', log], {cwd: dirs[0], env: {...process.env, ...moto.env}, stdio: ['ignore', 'ignore', 'pipe']})
    children.push(child)
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`${code} ${signal}`)))
    await waitFor('two rounds', async () => new Set((await events(log)).map((e) => e.round)).size >= 3 || undefined, 30_000, 100)
    child.kill('SIGTERM')
    expect(await exited, stderr).to.equal('0 null')
    const last = (await events(log)).at(-1)
    expect(last?.code).to.equal('monitor.stop')
    // The loop gave the lease up on the way out: another monitor need not wait for it to expire.
    const shown = JSON.parse((await cli(['lease', 'show', '--json'], dirs[0])).stdout) as {held: boolean; state: string; expiresAt?: string}
    expect(shown).to.include({held: false, state: 'released'})
    expect(shown.expiresAt, 'a released lease has no expiry to show').to.equal(undefined)
    // Said as it is: released and free, not "expired 1795855513.7 s ago (1970-01-01…)".
    const text = await cli(['lease', 'show'], dirs[0])
    expect(text.stdout).to.match(/^monitor\/sigterm: free: released by \S+:[0-9a-f]{8}, token \d+ \(/)
    expect(text.stdout).to.not.include('1970')
  })

  it('two looping monitors with the lease: exactly one acts per incident; killing the holder hands over after expiry', async () => {
    const {dirs, provider} = await buildCluster('pair', zoneId, 2)
    await cli(['lease', 'init'], dirs[0])
    const logs = dirs.map((d) => path.join(d, 'events.jsonl'))
    const start = (i: number): ChildProcess => {
      const child = spawn(process.execPath, [BIN, 'monitor', '-v', '--log-file', logs[i]], {cwd: dirs[i], env: {...process.env, ...moto.env, NO_COLOR: '1'}, stdio: 'ignore'})
      children.push(child)
      return child
    }
    const monitors = [start(0), start(1)]
    await waitFor('both monitors to run rounds', async () => (await Promise.all(logs.map(events))).every((e) => e.filter((x) => x.code === 'health.transition').length >= 3), 30_000, 100)
    const moved = async (): Promise<number[]> => Promise.all(logs.map(async (l) => (await events(l)).filter((e) => e.code === 'failover.verified').length))

    const proxies = await provider.listProxies()
    const first = (await provider.listAddresses()).find((a) => a.instanceId === proxies[0].id)
    await stopInstance(moto, proxies[0].id)
    await waitFor('the address to leave the stopped proxy', async () => {
      const a = (await provider.listAddresses()).find((x) => x.allocationId === first?.allocationId)
      return a?.instanceId !== proxies[0].id ? a : undefined
    }, 30_000, 100)
    // Let both monitors run three more rounds: a second actor would have acted by then.
    const roundsNow = async (): Promise<number[]> => Promise.all(logs.map(async (l) => new Set((await events(l)).map((e) => e.round)).size))
    const seen = await roundsNow()
    await waitFor('three more rounds of both monitors', async () => (await roundsNow()).every((n, i) => n >= seen[i] + 3), 30_000, 100)
    const counts = await moved()
    expect(counts.reduce((a, b) => a + b), 'one move in all').to.equal(1)

    const holderIndex = counts[0] === 1 ? 0 : 1
    monitors[holderIndex].kill('SIGKILL')
    await stopInstance(moto, proxies[1].id)
    await waitFor('the surviving monitor to take over and move every address off the stopped proxy', async () =>
      (await provider.listAddresses()).every((a) => a.instanceId !== proxies[1].id && a.instanceId !== proxies[0].id) || undefined,
    30_000, 100)
    const other = 1 - holderIndex
    // The cloud shows the move a moment before the mover's log line is written.
    await waitFor('the surviving monitor to log its verified move', async () => (await events(logs[other])).some((e) => e.code === 'failover.verified') || undefined, 10_000, 50)
    expect((await events(logs[holderIndex])).filter((e) => e.code === 'failover.verified'), 'the killed holder moved only the first').to.have.length(1)
    const lease = JSON.parse((await cli(['lease', 'show', '--json'], dirs[other])).stdout) as {token: number; holder: string}
    expect(lease.token, 'a new holder gets a larger fencing token').to.equal(2)
  })
})
