import {StopInstancesCommand, TerminateInstancesCommand, type Address, type EC2Client, type Instance} from '@aws-sdk/client-ec2'
import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {hactl, type CliResult} from '../../harness/cli.js'
import {motoCluster, type Moto} from '../../harness/moto.js'
import {waitFor} from '../../harness/wait.js'
import {clusterAddresses, clusterDir, clusterInstances, inspect, tag} from './helpers.js'

const PAIRS = ['pair-1', 'pair-2', 'pair-3']

const pairOf = (r: Instance | Address): string | undefined => tag(r.Tags, 'hactl:pair')

/** Pair → its members (running or stopped), from the cloud itself. */
async function members(ec2: EC2Client, cluster: string): Promise<Map<string, Instance[]>> {
  const out = new Map<string, Instance[]>()
  for (const i of await clusterInstances(ec2, cluster)) out.set(pairOf(i) ?? '(none)', [...(out.get(pairOf(i) ?? '(none)') ?? []), i])
  return out
}

/**
 * `topology: pairs` against a real moto_server: proxies launched and tagged
 * in pairs across zones, one address per pair on a member of the pair,
 * failover inside the pair only, a lost member relaunched into its pair, and
 * a pool cluster turned into pairs by tagging what it has. The cloud is
 * described after every step. Health is the ec2 judge: no traffic to moto's
 * invented addresses.
 */
describe('topology pairs against moto', function () {
  this.timeout(180_000)
  const cluster = 'duo'
  const world = motoCluster(cluster, 'topology: pairs\n')
  const {run, json} = world
  let moto: Moto
  let ec2: EC2Client
  let zoneId: string
  before(() => ({moto, ec2, zoneId} = world))

  it('proxy launch --dry-run prints six RunInstances, two per pair, each tagged with its pair, and launches nothing', async () => {
    const r = await run('proxy', 'launch', '--dry-run')
    expect(r.code, r.stderr).to.equal(0)
    const calls = r.stdout.split('\n').filter((l) => l.startsWith('would call ec2:RunInstances'))
    expect(calls).to.have.length(6)
    for (const pair of PAIRS) {
      const mine = calls.filter((c) => c.includes(`{"Key":"hactl:pair","Value":"${pair}"}`))
      expect(mine, pair).to.have.length(2)
      const zones = mine.map((c) => /"AvailabilityZone":"([^"]+)"/.exec(c)?.[1])
      expect(new Set(zones).size, `${pair} in two zones`).to.equal(2)
    }
    expect(await clusterInstances(ec2, cluster)).to.have.length(0)
  })

  it('proxy launch --count is refused with exit 2 under topology pairs, nothing launched', async () => {
    const r = await run('proxy', 'launch', '--count', '4')
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('addresses.count')
    expect(await clusterInstances(ec2, cluster)).to.have.length(0)
  })

  it('proxy launch brings up three pairs: six proxies, each pair in two zones, tagged with its pair; a re-run launches nothing', async () => {
    const r = await run('proxy', 'launch', '--no-push')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.include('6/6 running')
    const pairs = await members(ec2, cluster)
    expect([...pairs.keys()].sort()).to.deep.equal(PAIRS)
    for (const pair of PAIRS) {
      const zones = (pairs.get(pair) ?? []).map((i) => i.Placement?.AvailabilityZone)
      expect(zones, pair).to.have.length(2)
      expect(new Set(zones).size, `${pair} in two zones`).to.equal(2)
      for (const i of pairs.get(pair) ?? []) expect(tag(i.Tags, 'hactl:role')).to.equal('proxy')
    }
    const again = await json<{changed: boolean; pairs: Record<string, string[]>}>('proxy', 'launch')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.body.changed).to.equal(false)
    expect(Object.keys(again.body.pairs)).to.deep.equal(PAIRS)
    expect(await clusterInstances(ec2, cluster)).to.have.length(6)
  })

  it('eip allocate --dry-run prints one AllocateAddress per pair, tagged, and the attach to a member; changes nothing', async () => {
    const r = await run('eip', 'allocate', '--dry-run')
    expect(r.code, r.stderr).to.equal(0)
    for (const pair of PAIRS) {
      expect(r.stdout).to.match(new RegExp(`would call ec2:AllocateAddress .*"hactl:pair":"${pair}"`))
      expect(r.stdout).to.include(`would call ec2:AssociateAddress {"AllocationId":"(new address of ${pair})"`)
    }
    expect(await clusterAddresses(ec2, cluster)).to.have.length(0)
  })

  it('eip allocate gives each pair its own address, tagged with the pair, on a member of the pair; a re-run changes nothing', async () => {
    const r = await run('eip', 'allocate')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const addresses = await clusterAddresses(ec2, cluster)
    expect(addresses.map(pairOf).sort()).to.deep.equal(PAIRS)
    const instances = await clusterInstances(ec2, cluster)
    for (const a of addresses) {
      const holder = instances.find((i) => i.InstanceId === a.InstanceId)
      expect(holder, `${pairOf(a)} attached`).to.not.equal(undefined)
      expect(pairOf(holder as Instance)).to.equal(pairOf(a))
    }
    const again = await json<{changed: boolean}>('eip', 'allocate')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.body.changed).to.equal(false)
    expect(await clusterAddresses(ec2, cluster)).to.have.length(3)
    const rebalance = await json<{plan: {actions: unknown[]}}>('eip', 'rebalance')
    expect(rebalance.code, rebalance.stderr).to.equal(0)
    expect(rebalance.body.plan.actions).to.deep.equal([])
  })

  it('proxy list, eip list and status carry the pairs', async () => {
    expect((await run('dns', 'publish')).code).to.equal(0)
    const proxies = await json<{proxies: {pair: string; eips: string[]}[]}>('proxy', 'list')
    expect(proxies.body.proxies.map((p) => p.pair)).to.deep.equal(['pair-1', 'pair-1', 'pair-2', 'pair-2', 'pair-3', 'pair-3'])
    const table = await run('proxy', 'list')
    expect(table.stdout.split('\n')[0]).to.match(/\tpair-1\t/)
    const eips = await json<{addresses: {pair: string; holder: string}[]}>('eip', 'list')
    expect(eips.body.addresses.map((a) => a.pair)).to.deep.equal(PAIRS)
    const status = await json<{topology: string; proxies: {pair: string}[]; addresses: {pair: string}[]; problems: string[]}>('status', '--no-backends')
    expect(status.code, status.body.problems.join('\n')).to.equal(0)
    expect(status.body.topology).to.equal('pairs')
    expect(status.body.addresses.map((a) => a.pair)).to.deep.equal(PAIRS)
    expect(status.body.proxies.map((p) => p.pair)).to.deep.equal(['pair-1', 'pair-1', 'pair-2', 'pair-2', 'pair-3', 'pair-3'])
  })

  it('the holder of a pair address stops: eip failover moves it to its partner, never to another pair', async () => {
    const address = (await clusterAddresses(ec2, cluster)).find((a) => pairOf(a) === 'pair-1') as Address
    const partner = ((await members(ec2, cluster)).get('pair-1') ?? []).find((i) => i.InstanceId !== address.InstanceId) as Instance
    await ec2.send(new StopInstancesCommand({InstanceIds: [address.InstanceId as string]}))
    await waitFor('the holder to stop', async () => (await clusterInstances(ec2, cluster, ['stopped'])).length === 1)
    const r = await run('eip', 'failover')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect((await clusterAddresses(ec2, cluster)).find((a) => a.AllocationId === address.AllocationId)?.InstanceId).to.equal(partner.InstanceId)
  })

  it('both members of a pair stopped: eip failover alerts and exits 5, the address never leaves its pair', async () => {
    const address = (await clusterAddresses(ec2, cluster)).find((a) => pairOf(a) === 'pair-2') as Address
    const pair2 = ((await members(ec2, cluster)).get('pair-2') ?? []).map((i) => i.InstanceId as string)
    await ec2.send(new StopInstancesCommand({InstanceIds: pair2}))
    await waitFor('pair-2 to stop', async () => (await clusterInstances(ec2, cluster, ['stopped'])).length === 3)
    const r = await json<{ok: boolean; plan: {actions: {kind: string; message: string}[]}}>('eip', 'failover')
    expect(r.code).to.equal(5)
    expect(r.body.ok).to.equal(false)
    expect(r.body.plan.actions.filter((a) => a.kind === 'associate')).to.deep.equal([])
    expect(r.body.plan.actions.find((a) => a.kind === 'alert')?.message).to.include('pair pair-2')
    expect(pair2).to.include((await clusterAddresses(ec2, cluster)).find((a) => a.AllocationId === address.AllocationId)?.InstanceId)
  })

  it('a member terminated behind hactl\'s back: proxy launch launches one new member into that pair, in the zone the pair misses', async () => {
    const pair3 = (await members(ec2, cluster)).get('pair-3') ?? []
    const address = (await clusterAddresses(ec2, cluster)).find((a) => pairOf(a) === 'pair-3') as Address
    // The member without the address goes: nothing to fail over, the pair is one short.
    const lost = pair3.find((i) => i.InstanceId !== address.InstanceId) as Instance
    const kept = pair3.find((i) => i.InstanceId === address.InstanceId) as Instance
    await ec2.send(new TerminateInstancesCommand({InstanceIds: [lost.InstanceId as string]}))
    await waitFor('the member to be gone', async () => (await clusterInstances(ec2, cluster)).every((i) => i.InstanceId !== lost.InstanceId))
    const status = await json<{problems: string[]}>('status', '--no-backends')
    expect(status.body.problems.join('\n')).to.include('pair-3 has one member')

    const dry = await run('proxy', 'launch', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    const calls = dry.stdout.split('\n').filter((l) => l.startsWith('would call ec2:RunInstances'))
    expect(calls).to.have.length(1)
    expect(calls[0]).to.include('{"Key":"hactl:pair","Value":"pair-3"}')
    expect(calls[0]).to.not.include(`"AvailabilityZone":"${kept.Placement?.AvailabilityZone}"`)

    const r = await run('proxy', 'launch', '--no-push')
    expect(r.code, r.stderr).to.equal(0)
    const now = (await members(ec2, cluster)).get('pair-3') ?? []
    expect(now).to.have.length(2)
    expect(new Set(now.map((i) => i.Placement?.AvailabilityZone)).size).to.equal(2)
    // The stopped members of the other pairs are still members: nothing launched for them.
    expect(await clusterInstances(ec2, cluster)).to.have.length(6)
    expect((await json<{changed: boolean}>('proxy', 'launch')).body.changed).to.equal(false)
  })

  it('a pool cluster turned into pairs: rebalance alerts "pair untagged" until proxy launch and eip allocate tag what it has (launching only the member it lacks, allocating nothing)', async () => {
    const legacy = 'legacy'
    const ldir = await clusterDir(legacy, zoneId)
    const lrun = async (...args: string[]): Promise<CliResult> => hactl(args, {cwd: ldir, env: moto.env})
    expect((await lrun('proxy', 'launch', '--count', '6', '--no-push')).code).to.equal(0)
    expect((await lrun('eip', 'allocate')).code).to.equal(0)
    expect((await lrun('eip', 'rebalance')).code).to.equal(0)
    const file = path.join(ldir, 'hactl.yaml')
    await writeFile(file, `${await readFile(file, 'utf8')}topology: pairs\n`)
    // An untagged address whose holder fails belongs to no pair: the planner refuses to guess.
    const holder = (await clusterAddresses(ec2, legacy))[0].InstanceId as string
    await ec2.send(new StopInstancesCommand({InstanceIds: [holder]}))
    await waitFor('the holder to stop', async () => (await clusterInstances(ec2, legacy, ['stopped'])).length === 1)
    const untagged = await lrun('eip', 'rebalance')
    expect(untagged.code).to.equal(5)
    expect(untagged.stdout + untagged.stderr).to.include('pair untagged')
    await inspect(moto).ec2.send(new TerminateInstancesCommand({InstanceIds: [holder]}))
    await waitFor('the stopped proxy to be gone', async () => (await clusterInstances(ec2, legacy)).length === 5)

    const dry = await lrun('proxy', 'launch', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout.match(/would call ec2:CreateTags/g)).to.have.length(5)
    expect(dry.stdout.match(/would call ec2:RunInstances/g)).to.have.length(1)
    expect((await lrun('proxy', 'launch', '--no-push')).code).to.equal(0)
    const pairs = await members(ec2, legacy)
    expect([...pairs.keys()].sort()).to.deep.equal(PAIRS)
    for (const pair of PAIRS) expect(new Set((pairs.get(pair) ?? []).map((i) => i.Placement?.AvailabilityZone)).size, pair).to.equal(2)

    const allocate = await lrun('eip', 'allocate')
    expect(allocate.code, allocate.stdout + allocate.stderr).to.equal(0)
    const addresses = await clusterAddresses(ec2, legacy)
    expect(addresses).to.have.length(3)
    expect(addresses.map(pairOf).sort()).to.deep.equal(PAIRS)
    const instances = await clusterInstances(ec2, legacy)
    for (const a of addresses) expect(pairOf(instances.find((i) => i.InstanceId === a.InstanceId) as Instance), a.PublicIp).to.equal(pairOf(a))
    const rebalance = await lrun('eip', 'rebalance')
    expect(rebalance.code, rebalance.stdout + rebalance.stderr).to.equal(0)
  })
})
