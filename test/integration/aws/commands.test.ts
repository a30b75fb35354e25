import {StopInstancesCommand, type EC2Client} from '@aws-sdk/client-ec2'
import {ChangeResourceRecordSetsCommand, type Route53Client} from '@aws-sdk/client-route-53'
import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {awsEndpoint} from '../../harness/aws-endpoint.js'
import {hactl} from '../../harness/cli.js'
import {motoCluster, type Moto} from '../../harness/moto.js'
import {waitFor} from '../../harness/wait.js'
import {aRecord, clusterAddresses, clusterInstances, tag, ZONES} from './helpers.js'

/**
 * The whole AWS life cycle of a pool cluster against a real moto_server,
 * each step asserted by describing the cloud afterwards. The steps build on
 * each other, in order.
 */
describe('AWS commands against moto', function () {
  this.timeout(120_000)
  const cluster = 'web'
  const world = motoCluster(cluster)
  const {run, json} = world
  let moto: Moto
  let ec2: EC2Client
  let r53: Route53Client
  let zoneId: string
  let dir: string
  before(() => ({moto, ec2, r53, zoneId, dir} = world))

  it('proxy launch --dry-run prints the RunInstances calls and launches nothing', async () => {
    const r = await run('proxy', 'launch', '--dry-run')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout.match(/would call ec2:RunInstances/g)).to.have.length(3)
    expect(r.stdout).to.include('"HttpTokens":"required"')
    expect(await clusterInstances(ec2, cluster)).to.have.length(0)
  })

  it('proxy launch --dry-run --check-permissions asks EC2 with DryRun and changes nothing', async () => {
    const r = await run('proxy', 'launch', '--dry-run', '--check-permissions')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/allowed ec2:RunInstances: allowed \(DryRun\)/)
    expect(await clusterInstances(ec2, cluster)).to.have.length(0)
  })

  it('proxy launch brings up 3 proxies over 3 zones, tagged, IMDSv2 required, all running', async () => {
    const r = await run('proxy', 'launch', '--no-push')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.include('3/3 running')
    const instances = await clusterInstances(ec2, cluster)
    expect(instances).to.have.length(3)
    expect(instances.map((i) => i.Placement?.AvailabilityZone).sort()).to.deep.equal(ZONES)
    // Each proxy has its own Name (cluster, zone, index), so lines a person reads can tell them apart.
    expect(instances.map((i) => tag(i.Tags, 'Name')).sort()).to.deep.equal(ZONES.map((z) => `web-proxy-${z}-1`))
    for (const i of instances) {
      expect(tag(i.Tags, 'hactl:role')).to.equal('proxy')
      expect(i.MetadataOptions?.HttpTokens).to.equal('required')
      expect(i.State?.Name).to.equal('running')
    }
  })

  it('proxy launch again launches nothing', async () => {
    const {body, code} = await json<{changed: boolean; launched: unknown[]}>('proxy', 'launch')
    expect(code).to.equal(0)
    expect(body).to.include({changed: false})
    expect(await clusterInstances(ec2, cluster)).to.have.length(3)
  })

  it('eip allocate --dry-run --check-permissions asks AllocateAddress with the cluster tags the real call sends', async () => {
    const recorder = await awsEndpoint(moto.endpoint)
    try {
      const r = await hactl(['eip', 'allocate', '--dry-run', '--check-permissions'], {cwd: dir, env: {...moto.env, AWS_ENDPOINT_URL: recorder.endpoint}})
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.match(/allowed ec2:AllocateAddress: allowed \(DryRun\)/)
      const probes = recorder.bodies.map((b) => new URLSearchParams(b)).filter((p) => p.get('Action') === 'AllocateAddress')
      expect(probes.length).to.be.greaterThan(0)
      for (const p of probes) {
        expect(p.get('DryRun')).to.equal('true')
        // The policy allows AllocateAddress only with aws:RequestTag/hactl:cluster: the dry run must carry it as the call does.
        expect(p.get('TagSpecification.1.ResourceType')).to.equal('elastic-ip')
        const tags = Object.fromEntries([1, 2, 3].map((n) => [p.get(`TagSpecification.1.Tag.${n}.Key`), p.get(`TagSpecification.1.Tag.${n}.Value`)]))
        expect(tags).to.include({'hactl:cluster': cluster, 'hactl:role': 'address'})
      }
      expect(await clusterAddresses(ec2, cluster)).to.have.length(0)
    } finally {
      await recorder.close()
    }
  })

  it('eip allocate brings the pool to 3 tagged addresses, and a re-run allocates nothing', async () => {
    expect((await run('eip', 'allocate')).code).to.equal(0)
    const again = await json<{changed: boolean}>('eip', 'allocate')
    expect(again.body.changed).to.equal(false)
    const addresses = await clusterAddresses(ec2, cluster)
    expect(addresses).to.have.length(3)
    for (const a of addresses) expect(tag(a.Tags, 'hactl:role')).to.equal('address')
  })

  it('eip rebalance puts the 3 addresses on 3 distinct proxies; a re-run moves nothing', async () => {
    const r = await run('eip', 'rebalance')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const holders = (await clusterAddresses(ec2, cluster)).map((a) => a.InstanceId)
    expect(new Set(holders).size).to.equal(3)
    expect(holders).to.not.include(undefined)
    const again = await json<{changed: boolean; plan: {actions: unknown[]}}>('eip', 'rebalance')
    expect(again.code).to.equal(0)
    expect(again.body.plan.actions).to.deep.equal([])
  })

  it('dns publish makes the A record exactly the 3 addresses; a re-run writes nothing', async () => {
    const dry = await run('dns', 'publish', '--dry-run')
    expect(dry.stdout).to.include('would call route53:ChangeResourceRecordSets')
    expect(await aRecord(r53, zoneId)).to.deep.equal([])
    expect((await run('dns', 'publish')).code).to.equal(0)
    const pool = (await clusterAddresses(ec2, cluster)).map((a) => a.PublicIp as string).sort()
    expect(await aRecord(r53, zoneId)).to.deep.equal(pool)
    const again = await json<{changed: boolean; drift: boolean}>('dns', 'publish')
    expect(again.body).to.include({changed: false, drift: false})
  })

  it('dns show and eip list agree with the cloud', async () => {
    const show = await run('dns', 'show')
    expect(show.code, show.stdout).to.equal(0)
    expect(show.stdout).to.include('in sync')
    const list = await json<{addresses: {inDns: boolean; holder: string; zone: string}[]}>('eip', 'list')
    expect(list.body.addresses.map((a) => a.inDns)).to.deep.equal([true, true, true])
    expect(new Set(list.body.addresses.map((a) => a.zone)).size).to.equal(3)
    const proxies = await json<{proxies: {eips: string[]}[]}>('proxy', 'list')
    expect(proxies.body.proxies.map((p) => p.eips.length)).to.deep.equal([1, 1, 1])
  })

  it('after a proxy stops, eip failover moves its address to a running proxy in another zone; DNS unchanged; a re-run changes nothing', async () => {
    const before = await aRecord(r53, zoneId)
    const [victim] = await clusterInstances(ec2, cluster, ['running'])
    const lost = (await clusterAddresses(ec2, cluster)).find((a) => a.InstanceId === victim.InstanceId)
    await ec2.send(new StopInstancesCommand({InstanceIds: [victim.InstanceId as string]}))
    await waitFor('the proxy to stop', async () => (await clusterInstances(ec2, cluster, ['stopped'])).length === 1)

    const dry = await run('eip', 'failover', '--dry-run')
    expect(dry.stdout).to.include(`would call ec2:AssociateAddress {"AllocationId":"${lost?.AllocationId}"`)
    expect((await clusterAddresses(ec2, cluster)).find((a) => a.AllocationId === lost?.AllocationId)?.InstanceId).to.equal(victim.InstanceId)

    const r = await run('eip', 'failover')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const now = (await clusterAddresses(ec2, cluster)).find((a) => a.AllocationId === lost?.AllocationId)
    const running = await clusterInstances(ec2, cluster, ['running'])
    const holder = running.find((i) => i.InstanceId === now?.InstanceId)
    expect(holder, 'the address is on a running proxy').to.not.equal(undefined)
    expect(holder?.Placement?.AvailabilityZone).to.not.equal(victim.Placement?.AvailabilityZone)
    expect(await aRecord(r53, zoneId)).to.deep.equal(before)
    // The move counts against the hourly budget the monitor shares, and starts the old holder's hold-down.
    const state = JSON.parse(await readFile(path.join(dir, `.hactl-monitor-${cluster}.json`), 'utf8')) as {remaps: {allocationId: string}[]; lostAt: Record<string, number>}
    expect(state.remaps.map((r) => r.allocationId)).to.include(lost?.AllocationId)
    expect(state.lostAt).to.have.property(victim.InstanceId as string)

    const again = await json<{changed: boolean; ok: boolean; plan: {actions: unknown[]}}>('eip', 'failover')
    expect(again.code).to.equal(0)
    expect(again.body).to.include({changed: false, ok: true})
    expect(again.body.plan.actions).to.deep.equal([])
  })

  it('eip detach, attach and failover converge and say when there is nothing to do', async () => {
    const [address] = await clusterAddresses(ec2, cluster)
    const ip = address.PublicIp as string
    expect((await run('eip', 'detach', ip)).code).to.equal(0)
    expect((await clusterAddresses(ec2, cluster)).find((a) => a.PublicIp === ip)?.InstanceId || undefined).to.equal(undefined)
    const again = await run('eip', 'detach', ip)
    expect(again.code).to.equal(0)
    expect(again.stdout).to.include('not attached')
    // failover puts an unattached pool address back on a healthy proxy
    expect((await run('eip', 'failover', ip)).code).to.equal(0)
    expect((await clusterAddresses(ec2, cluster)).find((a) => a.PublicIp === ip)?.InstanceId).to.be.a('string')
    const [target] = await clusterInstances(ec2, cluster, ['running'])
    expect((await run('eip', 'attach', address.AllocationId as string, target.InstanceId as string)).code).to.equal(0)
    expect((await clusterAddresses(ec2, cluster)).find((a) => a.PublicIp === ip)?.InstanceId).to.equal(target.InstanceId)
    const same = await run('eip', 'attach', ip, target.InstanceId as string)
    expect(same.stdout).to.include('already on')
  })

  it('eip attach names a wrong address with exit 2 and changes nothing', async () => {
    const r = await run('eip', 'attach', '192.0.2.99', 'i-nothing')
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('is not an address of this cluster')
  })

  it('eip release refuses an address in the DNS record, and releases one that is not', async () => {
    const [inDns] = await clusterAddresses(ec2, cluster)
    const refused = await run('eip', 'release', inDns.PublicIp as string)
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include('--force')
    expect(await clusterAddresses(ec2, cluster)).to.have.length(3)

    expect((await run('eip', 'allocate', '--count', '4')).code).to.equal(0)
    const published = await aRecord(r53, zoneId)
    const spare = (await clusterAddresses(ec2, cluster)).find((a) => !published.includes(a.PublicIp as string))
    const drift = await run('dns', 'show')
    expect(drift.code, 'a new pool address is drift').to.equal(5)
    expect(drift.stdout).to.include(`+ missing ${spare?.PublicIp}`)
    expect((await run('eip', 'release', spare?.PublicIp as string)).code).to.equal(0)
    expect(await clusterAddresses(ec2, cluster)).to.have.length(3)
    const gone = await run('eip', 'release', spare?.PublicIp as string)
    expect(gone.code).to.equal(0)
    expect(gone.stdout).to.include('nothing to release')
  })

  it('dns show exits 5 when the live record drifted, and dns publish repairs it', async () => {
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {Changes: [{Action: 'UPSERT', ResourceRecordSet: {Name: 'www.example.com.', Type: 'A', TTL: 30, ResourceRecords: [{Value: '192.0.2.1'}]}}]},
      }),
    )
    const show = await run('dns', 'show')
    expect(show.code).to.equal(5)
    expect(show.stdout).to.include('- extra   192.0.2.1')
    expect((await run('dns', 'publish')).code).to.equal(0)
    expect(await aRecord(r53, zoneId)).to.deep.equal((await clusterAddresses(ec2, cluster)).map((a) => a.PublicIp as string).sort())
  })

  it('proxy terminate refuses a proxy holding an address; --force moves the address first', async () => {
    const [holder] = await clusterInstances(ec2, cluster, ['running'])
    const held = (await clusterAddresses(ec2, cluster)).filter((a) => a.InstanceId === holder.InstanceId)
    expect(held.length).to.be.greaterThan(0)
    const refused = await run('proxy', 'terminate', holder.InstanceId as string)
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include('--force')
    const r = await run('proxy', 'terminate', holder.InstanceId as string, '--force')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const after = await clusterAddresses(ec2, cluster)
    for (const a of held) {
      const now = after.find((x) => x.AllocationId === a.AllocationId)
      expect(now?.InstanceId).to.be.a('string').and.not.equal(holder.InstanceId)
    }
    expect((await clusterInstances(ec2, cluster, ['running'])).map((i) => i.InstanceId)).to.not.include(holder.InstanceId)
    const again = await run('proxy', 'terminate', holder.InstanceId as string, '--force')
    expect(again.code).to.equal(0)
    expect(again.stdout).to.include('nothing to terminate')
  })

  it('proxy launch after a terminate and with a larger count keeps every Name unique', async () => {
    const names = async (): Promise<string[]> => (await clusterInstances(ec2, cluster)).map((i) => tag(i.Tags, 'Name') as string).sort()
    const r = await run('proxy', 'launch', '--no-push')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(await clusterInstances(ec2, cluster)).to.have.length(3)
    expect(new Set(await names()).size).to.equal(3)
    const more = await run('proxy', 'launch', '--count', '5', '--no-push')
    expect(more.code, more.stdout + more.stderr).to.equal(0)
    const all = await names()
    expect(all).to.have.length(5)
    expect(new Set(all).size, all.join(' ')).to.equal(5)
    for (const name of all) expect(name).to.match(/^web-proxy-us-east-1[abc]-[12]$/)
    const list = await run('status', '--no-backends')
    const stopped = list.stdout.split('\n').filter((l) => /proxy web-proxy-\S+ is/.test(l))
    expect(new Set(stopped).size, 'no two problem lines name the same proxy').to.equal(stopped.length)
  })

  it('eip failover exits 5 when no healthy proxy is left to take an address', async () => {
    const running = await clusterInstances(ec2, cluster, ['running'])
    await ec2.send(new StopInstancesCommand({InstanceIds: running.map((i) => i.InstanceId as string)}))
    await waitFor('every proxy to stop', async () => (await clusterInstances(ec2, cluster, ['running', 'stopping'])).length === 0)
    const before = await clusterAddresses(ec2, cluster)
    const r = await run('eip', 'failover')
    expect(r.code, r.stdout + r.stderr).to.equal(5)
    expect(r.stdout).to.include('no healthy proxy')
    expect((await clusterAddresses(ec2, cluster)).map((a) => a.InstanceId)).to.deep.equal(before.map((a) => a.InstanceId))
  })

  it('iam-policy prints a policy limited to the cluster tag', async () => {
    const {body, code} = await json<{Statement: {Action: string[]; Condition?: unknown}[]}>('iam-policy')
    expect(code).to.equal(0)
    const actions = body.Statement.flatMap((s) => s.Action)
    for (const a of ['ec2:AssociateAddress', 'ec2:RunInstances', 'route53:ChangeResourceRecordSets', 'ec2:DescribeAddresses']) expect(actions).to.include(a)
    expect(JSON.stringify(body)).to.include('"aws:ResourceTag/hactl:cluster":"web"')
  })
})
