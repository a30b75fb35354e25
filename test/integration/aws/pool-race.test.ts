import {AllocateAddressCommand, AssociateAddressCommand, ReleaseAddressCommand, type EC2Client} from '@aws-sdk/client-ec2'
import type {Route53Client} from '@aws-sdk/client-route-53'
import {expect} from 'chai'

import {race, seeded} from '../../harness/barrier.js'
import {motoCluster, type Moto} from '../../harness/moto.js'
import {aRecord, clusterAddresses, clusterInstances} from './helpers.js'

/**
 * Changes of the pool and of its DNS record racing each other: `eip release
 * --force` against `dns publish`, driven through every order the barrier
 * points allow, against a real moto_server. The record must end listing
 * exactly the pool, never a released address, never nothing.
 */
describe('the pool and its DNS record under concurrent changes (moto)', function () {
  this.timeout(600_000)
  const cluster = 'race'
  const world = motoCluster(cluster)
  const {run} = world
  let moto: Moto
  let ec2: EC2Client
  let r53: Route53Client
  let zoneId: string
  let dir: string
  const pool = async (): Promise<string[]> => (await clusterAddresses(ec2, cluster)).map((a) => a.PublicIp as string).sort()

  /** A new address of the cluster, on a running proxy, that the record does not list yet: work for a publish. */
  async function addAttachedAddress(): Promise<string> {
    const out = await ec2.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: [{ResourceType: 'elastic-ip', Tags: [{Key: 'hactl:cluster', Value: cluster}, {Key: 'hactl:role', Value: 'address'}]}],
      }),
    )
    const [proxy] = await clusterInstances(ec2, cluster, ['running'])
    await ec2.send(new AssociateAddressCommand({AllocationId: out.AllocationId, InstanceId: proxy.InstanceId}))
    return out.PublicIp as string
  }

  before(async () => {
    ;({moto, ec2, r53, zoneId, dir} = world)
    for (const step of [['proxy', 'launch', '--no-push'], ['eip', 'allocate'], ['eip', 'rebalance'], ['dns', 'publish']]) {
      const r = await run(...step)
      expect(r.code, `${step.join(' ')}: ${r.stdout}${r.stderr}`).to.equal(0)
    }
  })

  it('dns show exits 5 when the record lists a released address', async () => {
    const [victim] = await clusterAddresses(ec2, cluster)
    // Released behind hactl's back: the record still lists it.
    await ec2.send(new ReleaseAddressCommand({AllocationId: victim.AllocationId}))
    const show = await run('dns', 'show')
    expect(show.code, show.stdout + show.stderr).to.equal(5)
    expect(show.stdout).to.include(`- extra   ${victim.PublicIp} (not an address of the pool`)
    await addAttachedAddress()
    expect((await run('dns', 'publish')).code).to.equal(0)
    expect(await aRecord(r53, zoneId)).to.deep.equal(await pool())
  })

  it('dns publish and dns show exit 5 while a listed address is attached to nothing', async () => {
    const [address] = await clusterAddresses(ec2, cluster)
    const ip = address.PublicIp as string
    expect((await run('eip', 'detach', ip)).code).to.equal(0)
    const show = await run('dns', 'show')
    expect(show.code, show.stdout + show.stderr).to.equal(5)
    expect(show.stdout).to.include(`${ip} (attached to no proxy)`)
    expect(show.stderr).to.include('attached to no proxy: clients sent there get nothing')
    const publish = await run('dns', 'publish', '--json')
    expect(publish.code, publish.stdout + publish.stderr).to.equal(5)
    expect((JSON.parse(publish.stdout) as {unattached: string[]}).unattached).to.deep.equal([ip])
    expect((await run('eip', 'rebalance')).code).to.equal(0)
    expect((await run('dns', 'show')).code).to.equal(0)
  })

  it('eip release --force republishes the record without the address in the same step', async () => {
    const victim = (await aRecord(r53, zoneId))[0]
    const r = await run('eip', 'release', victim, '--force')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('republished www.example.com. A')
    expect(await pool()).to.not.include(victim)
    expect(await aRecord(r53, zoneId)).to.deep.equal(await pool())
    await addAttachedAddress()
    expect((await run('dns', 'publish')).code).to.equal(0)
  })

  // Each seed is one schedule: who is let go first at each held point (or, with no points held, a free race).
  const seeds = Array.from({length: 14}, (_, i) => i + 1)
  for (const seed of seeds) {
    const free = seed > 10
    it(`eip release --force racing dns publish leaves the record equal to the pool (${free ? 'free race' : 'schedule'} ${seed})`, async () => {
      const added = await addAttachedAddress()
      const victim = (await aRecord(r53, zoneId)).find((ip) => ip !== added) as string
      const racers = [
        {label: 'release', args: ['eip', 'release', victim, '--force'], hold: free ? [] : ['moves-lock.acquired', 'eip.release.read', 'eip.release.released']},
        {label: 'publish', args: ['dns', 'publish'], hold: free ? [] : ['moves-lock.acquired', 'dns.publish.read', 'dns.publish.written']},
      ]
      if (seed % 2 === 0) racers.reverse()
      const {results, schedule} = await race(racers, {cwd: dir, env: moto.env, choose: seeded(seed)})
      const why = `schedule ${schedule.join(' → ')}\n${results.map((r) => `exit ${r.code}: ${r.stdout}${r.stderr}`).join('\n')}`
      for (const r of results) expect(r.code, why).to.equal(0)
      const record = await aRecord(r53, zoneId)
      expect(record, why).to.not.include(victim)
      expect(record, why).to.include(added)
      expect(record, why).to.deep.equal(await pool())
      const show = await run('dns', 'show')
      expect(show.code, `${why}\n${show.stdout}${show.stderr}`).to.equal(0)
    })
  }
})
