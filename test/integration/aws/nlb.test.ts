import {AutoScalingClient, DescribeAutoScalingGroupsCommand, DeleteLifecycleHookCommand, DescribeLifecycleHooksCommand, type AutoScalingGroup, type LifecycleHook} from '@aws-sdk/client-auto-scaling'
import {DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client} from '@aws-sdk/client-ec2'
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'

import {ListResourceRecordSetsCommand} from '@aws-sdk/client-route-53'

import {awsCloud} from '../../../src/cloud/aws/provider.js'
import {loadCluster} from '../../../src/cluster/loader.js'
import {motoCluster, type Moto} from '../../harness/moto.js'
import {clusterInstances, inspect, tag} from './helpers.js'

const TAGS = (cluster: string, role: string): {Key: string; Value: string}[] => [
  {Key: 'hactl:cluster', Value: cluster},
  {Key: 'hactl:role', Value: role},
]

/**
 * topology nlb against a real moto_server (EC2, Elastic Load Balancing v2,
 * Auto Scaling): every part made once, tagged, found again by its tags; the
 * dry run changes nothing; scale and terminate go through the group, with the
 * proxy deregistered from the target group first. Moto's instances get no
 * traffic: the balancer's health is moto's own answer.
 */
describe('topology nlb against moto', function () {
  this.timeout(180_000)
  const cluster = 'lb'
  const world = motoCluster(
    cluster,
    'topology: nlb\nbalancer: {interval: 10s, healthyThreshold: 2, unhealthyThreshold: 4, deregistrationDelay: 30s, gracePeriod: 120s, crossZone: true}\n',
  )
  const {run} = world
  let moto: Moto
  let ec2: EC2Client
  let elb: ElasticLoadBalancingV2Client
  let asg: AutoScalingClient
  let dir: string
  let zoneId: string

  const group = async (): Promise<AutoScalingGroup | undefined> =>
    (await asg.send(new DescribeAutoScalingGroupsCommand({Filters: [{Name: 'tag:hactl:cluster', Values: [cluster]}]}))).AutoScalingGroups?.[0]

  /** Every ELB resource of the account, with its tags. */
  const elbState = async (): Promise<{balancers: {arn: string; tags: Record<string, string>}[]; groups: {arn: string; tags: Record<string, string>}[]}> => {
    const lbs = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []
    const tgs = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []
    const arns = [...lbs.map((l) => l.LoadBalancerArn as string), ...tgs.map((t) => t.TargetGroupArn as string)]
    const described = arns.length === 0 ? [] : ((await elb.send(new DescribeTagsCommand({ResourceArns: arns}))).TagDescriptions ?? [])
    const tagsOf = (arn: string): Record<string, string> =>
      Object.fromEntries((described.find((d) => d.ResourceArn === arn)?.Tags ?? []).map((t) => [t.Key as string, t.Value ?? '']))
    return {
      balancers: lbs.map((l) => ({arn: l.LoadBalancerArn as string, tags: tagsOf(l.LoadBalancerArn as string)})),
      groups: tgs.map((t) => ({arn: t.TargetGroupArn as string, tags: tagsOf(t.TargetGroupArn as string)})),
    }
  }

  const hooks = async (): Promise<LifecycleHook[]> =>
    (await asg.send(new DescribeLifecycleHooksCommand({AutoScalingGroupName: (await group())?.AutoScalingGroupName}))).LifecycleHooks ?? []

  const targets = async (): Promise<{id: string; state: string}[]> => {
    const [tg] = (await elbState()).groups
    const health = (await elb.send(new DescribeTargetHealthCommand({TargetGroupArn: tg.arn}))).TargetHealthDescriptions ?? []
    return health.map((h) => ({id: h.Target?.Id as string, state: h.TargetHealth?.State as string})).sort((a, b) => a.id.localeCompare(b.id))
  }

  before(async () => {
    ;({moto, ec2, zoneId, dir} = world)
    const config = {endpoint: moto.endpoint, region: 'us-east-1', credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}
    elb = new ElasticLoadBalancingV2Client(config)
    asg = new AutoScalingClient(config)
    // clusterDir's health probe is ec2; the balancer's check follows health.proxy: make it HTTP.
    const file = `${dir}/hactl.yaml`
    await writeFile(file, (await readFile(file, 'utf8')).replace('health: {proxy: {type: ec2}}', 'health: {proxy: {type: http, port: 80, path: /healthz}}'))
  })

  it('proxy launch --dry-run prints every call and creates nothing', async () => {
    const r = await run('proxy', 'launch', '--dry-run')
    expect(r.code, r.stderr).to.equal(0)
    const calls = r.stdout.split('\n').filter((l) => l.startsWith('would call ')).map((l) => l.split(' ')[2])
    expect(calls).to.deep.equal([
      'ec2:CreateLaunchTemplate',
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:CreateLoadBalancer',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:CreateListener',
      'autoscaling:CreateAutoScalingGroup',
      'autoscaling:PutLifecycleHook',
    ])
    // The group is created with its hook, so its first instances wait for their push too.
    expect(r.stdout).to.include('"LifecycleHookSpecificationList":[{"LifecycleHookName":"hactl-lb-push","LifecycleTransition":"autoscaling:EC2_INSTANCE_LAUNCHING"')
    expect(r.stdout).to.include('"HttpTokens":"required"')
    expect(r.stdout).to.include('"HealthCheckType":"ELB"')
    const state = await elbState()
    expect(state.balancers).to.have.length(0)
    expect(state.groups).to.have.length(0)
    expect(await group()).to.equal(undefined)
    expect((await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).to.have.length(0)
  })

  it('proxy launch makes the template, target group, balancer, listener and group, all tagged, and the group runs the proxies in the target group', async () => {
    const r = await run('proxy', 'launch')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.include('3/3 in service')

    const [template] = (await ec2.send(new DescribeLaunchTemplatesCommand({Filters: [{Name: 'tag:hactl:cluster', Values: [cluster]}]}))).LaunchTemplates ?? []
    expect(template?.Tags).to.deep.include.members(TAGS(cluster, 'launch-template'))
    const [version] = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({LaunchTemplateId: template.LaunchTemplateId}))).LaunchTemplateVersions ?? []
    expect(version.LaunchTemplateData?.MetadataOptions?.HttpTokens).to.equal('required')
    expect(Buffer.from(version.LaunchTemplateData?.UserData ?? '', 'base64').toString()).to.include('hactl proxy of cluster lb')

    const state = await elbState()
    expect(state.balancers).to.have.length(1)
    expect(state.balancers[0].tags).to.include({'hactl:cluster': cluster, 'hactl:role': 'balancer'})
    expect(state.groups).to.have.length(1)
    expect(state.groups[0].tags).to.include({'hactl:cluster': cluster, 'hactl:role': 'target-group', 'hactl:port': '80'})
    const [lb] = (await elb.send(new DescribeLoadBalancersCommand({LoadBalancerArns: [state.balancers[0].arn]}))).LoadBalancers ?? []
    expect(lb.Type).to.equal('network')
    expect(lb.Scheme).to.equal('internet-facing')
    const lbAttributes = (await elb.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerArn: lb.LoadBalancerArn}))).Attributes ?? []
    expect(lbAttributes).to.deep.include({Key: 'load_balancing.cross_zone.enabled', Value: 'true'})
    const listeners = (await elb.send(new DescribeListenersCommand({LoadBalancerArn: lb.LoadBalancerArn}))).Listeners ?? []
    expect(listeners.map((l) => [l.Protocol, l.Port, l.DefaultActions?.[0]?.TargetGroupArn])).to.deep.equal([['TCP', 80, state.groups[0].arn]])
    const [tg] = (await elb.send(new DescribeTargetGroupsCommand({TargetGroupArns: [state.groups[0].arn]}))).TargetGroups ?? []
    expect([tg.Protocol, tg.TargetType, tg.HealthCheckProtocol, tg.HealthCheckPath, tg.HealthCheckIntervalSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount]).to.deep.equal([
      'TCP',
      'instance',
      'HTTP',
      '/healthz',
      10,
      2,
      4,
    ])
    const tgAttributes = (await elb.send(new DescribeTargetGroupAttributesCommand({TargetGroupArn: tg.TargetGroupArn}))).Attributes ?? []
    expect(tgAttributes).to.deep.include({Key: 'deregistration_delay.timeout_seconds', Value: '30'})

    const g = await group()
    expect([g?.MinSize, g?.MaxSize, g?.DesiredCapacity, g?.HealthCheckType, g?.HealthCheckGracePeriod]).to.deep.equal([3, 3, 3, 'ELB', 120])
    expect(g?.TargetGroupARNs).to.deep.equal([tg.TargetGroupArn])
    expect(g?.LaunchTemplate?.LaunchTemplateId).to.equal(template.LaunchTemplateId)
    // The group's proxies carry the cluster's tags, so every command finds them as proxies.
    const proxies = await clusterInstances(ec2, cluster, ['running'])
    expect(proxies).to.have.length(3)
    for (const p of proxies) expect(tag(p.Tags, 'hactl:role')).to.equal('proxy')
    expect((await targets()).map((t) => t.id)).to.deep.equal(proxies.map((p) => p.InstanceId).sort())

    // New instances wait on the launch hook until hactl admits them; one nobody admits is abandoned (replaced).
    expect((await hooks()).map((h) => [h.LifecycleHookName, h.LifecycleTransition, h.HeartbeatTimeout, h.DefaultResult])).to.deep.equal([
      ['hactl-lb-push', 'autoscaling:EC2_INSTANCE_LAUNCHING', 600, 'ABANDON'],
    ])
  })

  it('a second proxy launch changes nothing and says so', async () => {
    const before = await elbState()
    const r = await run('proxy', 'launch', '--json')
    expect(r.code, r.stderr).to.equal(0)
    const body = JSON.parse(r.stdout) as {changed: boolean; summary: string}
    expect(body.changed).to.equal(false)
    expect(body.summary).to.include('nothing changed')
    expect(await elbState()).to.deep.equal(before)
    expect(await clusterInstances(ec2, cluster, ['running'])).to.have.length(3)
    expect(await hooks()).to.have.length(1)
  })

  it('a group found without its launch hook gets it (PutLifecycleHook), once', async () => {
    const name = (await group())?.AutoScalingGroupName as string
    await asg.send(new DeleteLifecycleHookCommand({AutoScalingGroupName: name, LifecycleHookName: 'hactl-lb-push'}))
    const dry = await run('proxy', 'launch', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout.split('\n').filter((l) => l.startsWith('would call ')).map((l) => l.split(' ')[2])).to.deep.equal(['autoscaling:PutLifecycleHook'])
    expect(await hooks()).to.have.length(0)
    const r = await run('proxy', 'launch')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.include('launch hook')
    expect((await hooks()).map((h) => [h.LifecycleHookName, h.HeartbeatTimeout, h.DefaultResult])).to.deep.equal([['hactl-lb-push', 600, 'ABANDON']])
    const again = await run('proxy', 'launch', '--json')
    expect((JSON.parse(again.stdout) as {changed: boolean}).changed).to.equal(false)
  })

  it('proxy admit and the monitor: moto\'s instances never wait on the hook, so nothing to admit; --dry-run the same', async () => {
    for (const args of [['proxy', 'admit', '--json'], ['proxy', 'admit', '--dry-run', '--json']]) {
      const r = await run(...args)
      expect(r.code, r.stderr).to.equal(0)
      const body = JSON.parse(r.stdout) as {changed: boolean; summary: string; pending: string[]}
      expect(body).to.include({changed: false})
      expect(body.pending).to.deep.equal([])
      expect(body.summary).to.include('nothing to admit')
    }
    // The monitor runs on nlb too: a round admits what waits (nothing here), and moves no address.
    const monitor = await run('monitor', '--once', '--json')
    expect(monitor.code, monitor.stdout + monitor.stderr).to.equal(0)
    expect(monitor.stdout).to.include('"code":"monitor.result"')
  })

  it('describeBalancer gives the NLB\'s DNS name, hosted zone, ports and each target\'s state (DescribeTargetHealth)', async () => {
    const saved = {...process.env}
    Object.assign(process.env, moto.env)
    try {
      const cloud = await awsCloud(await loadCluster(`${dir}/hactl.yaml`))
      const view = await cloud.balancer?.describeBalancer()
      const [lb] = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []
      expect(view?.dnsName).to.equal(lb.DNSName)
      expect(view?.hostedZoneId).to.equal(lb.CanonicalHostedZoneId)
      expect(view?.ports).to.deep.equal([80])
      expect(view?.targets).to.deep.equal((await targets()).map((t) => ({instanceId: t.id, state: t.state})))
      expect(view?.targets).to.have.length(3)
      const group = await cloud.scaling?.describeGroup()
      expect(group?.instances.map((i) => i.instanceId)).to.deep.equal(view?.targets.map((t) => t.instanceId))
    } finally {
      process.env = saved
    }
  })

  it('dns publish writes a Route 53 alias A record to the NLB; again changes nothing; dns show and status see it in sync', async () => {
    const [lb] = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []
    const dry = await run('dns', 'publish', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.include(`"AliasTarget":{"HostedZoneId":"${lb.CanonicalHostedZoneId}","DNSName":"${lb.DNSName}","EvaluateTargetHealth":true}`)
    const r53 = inspect(moto).r53
    const aSets = async (): Promise<unknown[]> =>
      ((await r53.send(new ListResourceRecordSetsCommand({HostedZoneId: zoneId}))).ResourceRecordSets ?? [])
        .filter((s) => s.Type === 'A' && s.Name === 'www.example.com.')
        .map((s) => ({Name: s.Name, Type: s.Type, AliasTarget: s.AliasTarget, ...(s.ResourceRecords?.length ? {ResourceRecords: s.ResourceRecords} : {})}))
    expect(await aSets()).to.deep.equal([])

    const r = await run('dns', 'publish')
    expect(r.code, r.stderr).to.equal(0)
    expect(await aSets()).to.deep.equal([{Name: 'www.example.com.', Type: 'A', AliasTarget: {HostedZoneId: lb.CanonicalHostedZoneId, DNSName: lb.DNSName, EvaluateTargetHealth: true}}])

    const again = await run('dns', 'publish', '--json')
    expect(again.code, again.stderr).to.equal(0)
    expect((JSON.parse(again.stdout) as {changed: boolean}).changed).to.equal(false)

    const show = await run('dns', 'show')
    expect(show.code, show.stdout + show.stderr).to.equal(0)
    expect(show.stdout).to.include('in sync with the load balancer')

    // status probes the proxies: with the ec2 judge, no traffic to moto's invented addresses.
    const file = `${dir}/hactl.yaml`
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace(/^health: .*$/m, 'health: {proxy: {type: ec2}}'))
    try {
      const status = await run('status', '--json')
      const dns = (JSON.parse(status.stdout) as {dns: {ok: boolean; points: string; live: string[]}}).dns
      expect(dns).to.include({ok: true, points: 'balancer'})
      expect(dns.live).to.deep.equal([`ALIAS ${lb.DNSName?.toLowerCase()}`])
    } finally {
      await writeFile(file, text)
    }
  })

  it('proxy scale N sets min = max = desired through the group; again changes nothing; --dry-run changes nothing', async () => {
    const dry = await run('proxy', 'scale', '4', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.match(/would call autoscaling:UpdateAutoScalingGroup \{"AutoScalingGroupName":"hactl-lb","MinSize":4,"MaxSize":4,"DesiredCapacity":4\}/)
    expect((await group())?.DesiredCapacity).to.equal(3)

    const r = await run('proxy', 'scale', '4')
    expect(r.code, r.stderr).to.equal(0)
    const g = await group()
    expect([g?.MinSize, g?.MaxSize, g?.DesiredCapacity]).to.deep.equal([4, 4, 4])
    expect(await clusterInstances(ec2, cluster, ['running'])).to.have.length(4)

    const again = await run('proxy', 'scale', '4', '--json')
    expect(again.code, again.stderr).to.equal(0)
    expect((JSON.parse(again.stdout) as {changed: boolean}).changed).to.equal(false)
  })

  it('proxy terminate drains the proxy off the target group, then ends it through the group, which replaces it', async () => {
    const [victim] = (await targets()).map((t) => t.id)
    const dry = await run('proxy', 'terminate', victim, '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    const calls = dry.stdout.split('\n').filter((l) => l.startsWith('would call ')).map((l) => l.split(' ')[2])
    expect(calls).to.deep.equal(['elasticloadbalancing:DeregisterTargets', 'autoscaling:TerminateInstanceInAutoScalingGroup'])
    expect((await targets()).map((t) => t.id)).to.include(victim)

    const r = await run('proxy', 'terminate', victim, '--yes')
    expect(r.code, r.stderr).to.equal(0)
    // Deregistered before it was terminated: the drain is reported, then the termination.
    expect(r.stderr.indexOf('drained')).to.be.greaterThan(-1)
    expect(r.stderr.indexOf('drained')).to.be.lessThan(r.stderr.indexOf('terminated through the scaling group'))
    expect((await targets()).map((t) => t.id)).to.not.include(victim)
    const g = await group()
    expect(g?.DesiredCapacity).to.equal(4)
    expect((g?.Instances ?? []).map((i) => i.InstanceId)).to.not.include(victim)
    expect(g?.Instances).to.have.length(4)

    const again = await run('proxy', 'terminate', victim, '--yes')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.include('nothing to terminate')
  })

  it('proxy terminate --decrement shrinks the group by one instead of replacing', async () => {
    const [victim] = (await targets()).map((t) => t.id)
    const r = await run('proxy', 'terminate', victim, '--yes', '--decrement', '--no-drain')
    expect(r.code, r.stderr).to.equal(0)
    const g = await group()
    expect([g?.MinSize, g?.MaxSize, g?.DesiredCapacity]).to.deep.equal([3, 3, 3])
    expect((g?.Instances ?? []).map((i) => i.InstanceId)).to.not.include(victim)
  })

  it('proxy scale on a pool cluster is refused with exit 2', async () => {
    const file = `${dir}/hactl.yaml`
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace('topology: nlb', 'topology: pool'))
    try {
      const r = await run('proxy', 'scale', '2')
      expect(r.code).to.equal(2)
      expect(r.stderr).to.include('topology nlb')
      const admit = await run('proxy', 'admit')
      expect(admit.code).to.equal(2)
      expect(admit.stderr).to.include('scaling group capability')
    } finally {
      await writeFile(file, text)
    }
  })
})
