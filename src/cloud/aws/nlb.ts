/**
 * topology nlb on AWS: a launch template (IMDSv2, the proxies' user-data),
 * an Auto Scaling group over the cluster's subnets, a Network Load Balancer
 * with one TCP listener and one target group per port the proxies serve, the
 * group attached to the target groups. Every part carries the cluster's tags
 * and is found again by them, never by name: a name only has to be free when
 * the part is created.
 */
import type {CreateAutoScalingGroupCommandInput, LifecycleHook, LifecycleHookSpecification} from '@aws-sdk/client-auto-scaling'
import type {CreateLaunchTemplateCommandInput} from '@aws-sdk/client-ec2'
import type {CreateListenerCommandInput, CreateLoadBalancerCommandInput, CreateTargetGroupCommandInput, ProtocolEnum} from '@aws-sdk/client-elastic-load-balancing-v2'

import type {ClusterSpec} from '../../cluster/schema.js'
import {ConfigError, UsageError} from '../../errors.js'
import type {BalancerParts, BalancerSetup, BalancerTarget, BalancerView, LoadBalancer, ScalingGroup, ScalingView, TargetState} from '../capabilities.js'
import type {BalancerPart, ProviderOperation} from '../operations.js'
import {hactlTags, TAG} from '../tags.js'
import {proxyUserData} from '../user-data.js'
import type {IAutoScalingClient} from './autoscaling-client.js'
import type {IElbv2Client} from './elbv2-client.js'
import type {ILaunchTemplateClient} from './launch-template-client.js'

export interface NlbClients {
  elbv2: IElbv2Client
  autoscaling: IAutoScalingClient
  ec2: ILaunchTemplateClient
}

type NlbOperation = Extract<ProviderOperation, {op: 'admitLaunch' | 'createBalancerPart' | 'deregisterTargets' | 'setGroupCount' | 'terminateInGroup'}>

export function isNlbOperation(operation: ProviderOperation): operation is NlbOperation {
  return ['admitLaunch', 'createBalancerPart', 'deregisterTargets', 'setGroupCount', 'terminateInGroup'].includes(operation.op)
}

/** What was found by tag; ARNs are known only for parts that exist. */
interface Found {
  launchTemplateId?: string
  balancer?: {arn: string; name: string; dnsName?: string; hostedZoneId?: string; crossZone: boolean; listeners: number[]}
  targetGroups: Map<number, {arn: string; delayOk: boolean}>
  group?: {name: string; desired: number; min: number; max: number; targetGroups: string[]}
  subnets: string[]
  vpcId?: string
}

const TAGS_KEYS = (tags: Record<string, string>): {Key: string; Value: string}[] => Object.entries(tags).map(([Key, Value]) => ({Key, Value}))

/** ELB names: at most 32 letters, digits and hyphens. */
function elbName(cluster: string, suffix = ''): string {
  return `hactl-${cluster}`.slice(0, 32 - suffix.length).replace(/-+$/, '') + suffix
}

/**
 * How long a new instance may wait for its push before the group gives up on
 * it: longer than a push waits for the instance's SSH (5 min), short enough
 * that a proxy nobody admits is soon replaced.
 */
export const LAUNCH_HOOK_TIMEOUT_S = 600

/** The lifecycle state of an instance held by a launch hook. */
const PENDING_WAIT = 'Pending:Wait'

const STATES = new Set<TargetState>(['initial', 'healthy', 'unhealthy', 'draining', 'unused', 'unavailable'])

export class AwsNlb implements LoadBalancer, ScalingGroup, BalancerSetup {
  private found?: Promise<Found>
  /** The last observation, for explaining a plan made from it (a dry run observes before it plans). */
  private cached?: Found
  /** The group as describeGroup last saw it, for explaining scale and terminate plans. */
  private groupSeen?: NonNullable<Found['group']>

  constructor(
    private readonly spec: ClusterSpec,
    private readonly clients: NlbClients,
    private readonly file = 'hactl.yaml',
  ) {}

  private get name(): string {
    return elbName(this.spec.cluster)
  }

  private tags(role: Parameters<typeof hactlTags>[1], extra: Record<string, string> = {}): Record<string, string> {
    return hactlTags(this.spec.cluster, role, extra)
  }

  private ours(tags: Record<string, string> | undefined, role: string): boolean {
    return tags?.[TAG.cluster] === this.spec.cluster && tags[TAG.role] === role
  }

  /** One look at every part, kept until a part is created. */
  private observe(): Promise<Found> {
    this.found ??= this.describeAll().then((f) => (this.cached = f)).catch((error: unknown) => {
      this.found = undefined
      throw error
    })
    return this.found
  }

  private async describeAll(): Promise<Found> {
    const {autoscaling, ec2, elbv2} = this.clients
    const [templates, balancers, groups, scaling, subnets] = await Promise.all([
      ec2.describeLaunchTemplates([
        {Name: `tag:${TAG.cluster}`, Values: [this.spec.cluster]},
        {Name: `tag:${TAG.role}`, Values: ['launch-template']},
      ]),
      elbv2.describeLoadBalancers(),
      elbv2.describeTargetGroups(),
      autoscaling.describeAutoScalingGroups([{Name: `tag:${TAG.cluster}`, Values: [this.spec.cluster]}]),
      this.subnets(),
    ])
    const tags = await elbv2.describeTags([...balancers.map((b) => b.LoadBalancerArn as string), ...groups.map((g) => g.TargetGroupArn as string)])
    const found: Found = {targetGroups: new Map(), subnets: subnets.ids, ...(subnets.vpcId ? {vpcId: subnets.vpcId} : {})}
    if (templates[0]?.LaunchTemplateId) found.launchTemplateId = templates[0].LaunchTemplateId
    const lb = balancers.find((b) => this.ours(tags.get(b.LoadBalancerArn as string), 'balancer'))
    if (lb?.LoadBalancerArn) {
      const [attributes, listeners] = await Promise.all([elbv2.describeLoadBalancerAttributes(lb.LoadBalancerArn), elbv2.describeListeners(lb.LoadBalancerArn)])
      found.balancer = {
        arn: lb.LoadBalancerArn,
        name: lb.LoadBalancerName ?? this.name,
        ...(lb.DNSName ? {dnsName: lb.DNSName} : {}),
        ...(lb.CanonicalHostedZoneId ? {hostedZoneId: lb.CanonicalHostedZoneId} : {}),
        crossZone: attributes['load_balancing.cross_zone.enabled'] === String(this.spec.balancer.crossZone),
        listeners: listeners.flatMap((l) => (l.Port ? [l.Port] : [])),
      }
    }
    for (const g of groups) {
      const t = tags.get(g.TargetGroupArn as string)
      const port = Number(t?.[TAG.port])
      if (!this.ours(t, 'target-group') || !Number.isInteger(port)) continue
      const attributes = await elbv2.describeTargetGroupAttributes(g.TargetGroupArn as string)
      found.targetGroups.set(port, {arn: g.TargetGroupArn as string, delayOk: attributes['deregistration_delay.timeout_seconds'] === String(this.delaySeconds)})
    }
    const group = scaling.find((g) => g.AutoScalingGroupName)
    if (group) {
      found.group = {
        name: group.AutoScalingGroupName as string,
        desired: group.DesiredCapacity ?? 0,
        min: group.MinSize ?? 0,
        max: group.MaxSize ?? 0,
        targetGroups: group.TargetGroupARNs ?? [],
      }
    }
    return found
  }

  /** The configured subnets, else the default subnet of each configured zone. */
  private async subnets(): Promise<{ids: string[]; vpcId?: string}> {
    const {subnets, zones} = this.spec.proxy.instances
    const found = subnets.length > 0
      ? await this.clients.ec2.describeSubnets({ids: subnets})
      : await this.clients.ec2.describeSubnets({filters: [{Name: 'availability-zone', Values: zones}, {Name: 'default-for-az', Values: ['true']}]})
    const ids = subnets.length > 0 ? subnets : found.map((s) => s.SubnetId as string).sort()
    return {ids, ...(found[0]?.VpcId ? {vpcId: found[0].VpcId} : {})}
  }

  /** Names: letters, digits, hyphens, underscores, slashes; the cluster name is made of the first three. */
  private get hookName(): string {
    return `hactl-${this.spec.cluster}-push`
  }

  private hookAsWanted(h: LifecycleHook): boolean {
    return (
      h.LifecycleHookName === this.hookName &&
      h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_LAUNCHING' &&
      h.HeartbeatTimeout === LAUNCH_HOOK_TIMEOUT_S &&
      h.DefaultResult === 'ABANDON'
    )
  }

  /**
   * Every instance the group launches waits (Pending:Wait) outside the
   * target groups until hactl has pushed the source config to it and
   * completes the action with CONTINUE. One nobody admits within the
   * heartbeat timeout is abandoned: the group terminates it and launches
   * another, rather than let it serve the engine's packaged config.
   */
  private hookSettings(): LifecycleHookSpecification {
    return {LifecycleHookName: this.hookName, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: LAUNCH_HOOK_TIMEOUT_S, DefaultResult: 'ABANDON'}
  }

  private get delaySeconds(): number {
    return Math.round(this.spec.balancer.deregistrationDelay / 1000)
  }

  async observeParts(): Promise<BalancerParts> {
    const f = await this.observe()
    // Asked here only: status and proxy list, which observe too, have no use for it.
    const launchHook = f.group ? (await this.clients.autoscaling.describeLifecycleHooks(f.group.name)).some((h) => this.hookAsWanted(h)) : false
    const ports = [...f.targetGroups.keys()]
    return {
      launchTemplate: f.launchTemplateId !== undefined,
      targetGroups: ports,
      targetGroupAttributes: ports.filter((p) => f.targetGroups.get(p)?.delayOk),
      balancer: f.balancer !== undefined,
      balancerAttributes: f.balancer?.crossZone ?? false,
      listeners: f.balancer?.listeners ?? [],
      scalingGroup: f.group !== undefined,
      attached: ports.filter((p) => f.group?.targetGroups.includes(f.targetGroups.get(p)?.arn ?? '')),
      launchHook,
    }
  }

  // The inputs, for the real call and for --dry-run alike. A part not made yet is named by a placeholder in a dry run.

  private launchTemplateInput(): CreateLaunchTemplateCommandInput {
    const inst = this.spec.proxy.instances
    if (!inst.image) {
      throw new ConfigError('proxy.instances.image is needed to launch proxies on AWS', {file: this.file}, {
        actions: ['Set proxy.instances.image to a Debian, Ubuntu or Amazon Linux AMI id of your region (ami-…).'],
      })
    }
    const proxyTags = TAGS_KEYS(this.tags('proxy'))
    return {
      LaunchTemplateName: this.name,
      LaunchTemplateData: {
        ImageId: inst.image,
        InstanceType: inst.type as NonNullable<CreateLaunchTemplateCommandInput['LaunchTemplateData']>['InstanceType'],
        ...(inst.keyName ? {KeyName: inst.keyName} : {}),
        ...(inst.securityGroups.length > 0 ? {SecurityGroupIds: inst.securityGroups} : {}),
        MetadataOptions: {HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1},
        UserData: Buffer.from(proxyUserData(this.spec.proxy.engine, this.spec.cluster, inst.userData)).toString('base64'),
        TagSpecifications: [
          {ResourceType: 'instance', Tags: proxyTags},
          {ResourceType: 'volume', Tags: proxyTags},
        ],
      },
      TagSpecifications: [{ResourceType: 'launch-template', Tags: TAGS_KEYS(this.tags('launch-template'))}],
    }
  }

  private targetGroupInput(port: number, f: Found | undefined): CreateTargetGroupCommandInput {
    const probe = this.spec.health.proxy
    const {balancer} = this.spec
    // The proxies' own probe; `ec2` (the instance status) has no equivalent on a balancer: a TCP connect is the nearest.
    const protocol: ProtocolEnum = probe.type === 'http' ? 'HTTP' : probe.type === 'https' ? 'HTTPS' : 'TCP'
    return {
      Name: elbName(this.spec.cluster, `-${port}`),
      Protocol: 'TCP',
      Port: port,
      VpcId: f?.vpcId ?? '(the VPC of the subnets)',
      TargetType: 'instance',
      HealthCheckProtocol: protocol,
      HealthCheckPort: String(probe.port),
      ...(protocol === 'TCP' ? {} : {HealthCheckPath: probe.path, Matcher: {HttpCode: probe.expectStatus}}),
      HealthCheckIntervalSeconds: Math.round(balancer.interval / 1000),
      HealthyThresholdCount: balancer.healthyThreshold,
      UnhealthyThresholdCount: balancer.unhealthyThreshold,
      Tags: TAGS_KEYS(this.tags('target-group', {[TAG.port]: String(port)})),
    }
  }

  private balancerInput(f: Found | undefined): CreateLoadBalancerCommandInput {
    return {
      Name: this.name,
      Type: 'network',
      Scheme: 'internet-facing',
      Subnets: f?.subnets.length ? f.subnets : this.spec.proxy.instances.zones.map((z) => `(the default subnet of ${z})`),
      Tags: TAGS_KEYS(this.tags('balancer')),
    }
  }

  private listenerInput(port: number, f: Found | undefined): CreateListenerCommandInput {
    return {
      LoadBalancerArn: f?.balancer?.arn ?? '(the new load balancer)',
      Protocol: 'TCP',
      Port: port,
      DefaultActions: [{Type: 'forward', TargetGroupArn: f?.targetGroups.get(port)?.arn ?? `(the target group for port ${port})`}],
    }
  }

  private scalingGroupInput(count: number, f: Found | undefined, ports: number[]): CreateAutoScalingGroupCommandInput {
    const tags = this.tags('proxy')
    return {
      AutoScalingGroupName: this.name,
      LaunchTemplate: {LaunchTemplateId: f?.launchTemplateId ?? '(the new launch template)', Version: '$Latest'},
      MinSize: count,
      MaxSize: count,
      DesiredCapacity: count,
      VPCZoneIdentifier: (f?.subnets.length ? f.subnets : this.spec.proxy.instances.zones.map((z) => `(the default subnet of ${z})`)).join(','),
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: Math.round(this.spec.balancer.gracePeriod / 1000),
      TargetGroupARNs: ports.map((p) => f?.targetGroups.get(p)?.arn ?? `(the target group for port ${p})`),
      // With the group, not after it: the instances it launches at once wait for their push too.
      LifecycleHookSpecificationList: [this.hookSettings()],
      // Propagated: the proxies it launches carry the cluster's tags, so every command finds them as proxies.
      Tags: Object.entries(tags).map(([Key, Value]) => ({Key, Value, PropagateAtLaunch: true, ResourceId: this.name, ResourceType: 'auto-scaling-group'})),
    }
  }

  private ports(f: Found | undefined): number[] {
    return [...(f?.targetGroups.keys() ?? [])].sort((a, b) => a - b)
  }

  async createPart(part: BalancerPart): Promise<void> {
    const f = await this.observe()
    const {autoscaling, ec2, elbv2} = this.clients
    switch (part.part) {
      case 'launchTemplate':
        await ec2.createLaunchTemplate(this.launchTemplateInput())
        break
      case 'targetGroup':
        this.needVpc(f)
        await elbv2.createTargetGroup(this.targetGroupInput(part.port, f))
        break
      case 'targetGroupAttributes':
        await elbv2.modifyTargetGroupAttributes(this.targetGroupArn(f, part.port), {'deregistration_delay.timeout_seconds': String(this.delaySeconds)})
        break
      case 'balancer':
        this.needVpc(f)
        await elbv2.createLoadBalancer(this.balancerInput(f))
        break
      case 'balancerAttributes':
        await elbv2.modifyLoadBalancerAttributes(this.balancerArn(f), {'load_balancing.cross_zone.enabled': String(this.spec.balancer.crossZone)})
        break
      case 'listener':
        this.targetGroupArn(f, part.port)
        this.balancerArn(f)
        await elbv2.createListener(this.listenerInput(part.port, f))
        break
      case 'scalingGroup':
        for (const port of part.ports) this.targetGroupArn(f, port)
        await autoscaling.createAutoScalingGroup(this.scalingGroupInput(part.count, f, part.ports))
        break
      case 'attachTargetGroup':
        await autoscaling.attachTargetGroups(this.groupName(f), [this.targetGroupArn(f, part.port)])
        break
      case 'launchHook':
        await autoscaling.putLifecycleHook({AutoScalingGroupName: this.groupName(f), ...this.hookSettings()})
        break
    }
    this.found = undefined
  }

  private needVpc(f: Found): void {
    if (f.subnets.length > 0 && f.vpcId) return
    throw new ConfigError('no subnet found for the load balancer: the zones have no default subnet', {file: this.file}, {
      actions: ['Set proxy.instances.subnets to one subnet per zone (subnet-…).'],
    })
  }

  private balancerArn(f: Found): string {
    if (f.balancer) return f.balancer.arn
    throw new Error('the load balancer was not found after it was created')
  }

  private targetGroupArn(f: Found, port: number): string {
    const arn = f.targetGroups.get(port)?.arn
    if (arn) return arn
    throw new Error(`the target group for port ${port} was not found after it was created`)
  }

  private groupName(f: Found): string {
    if (f.group) return f.group.name
    throw new UsageError('the cluster has no auto scaling group yet', {actions: ['Run `hactl proxy launch` first.']})
  }

  /** The exact calls of an nlb operation, for --dry-run. */
  explain(operation: NlbOperation, show: (api: string, input: unknown) => string): string[] {
    const f = this.cached
    const group = this.groupSeen ?? f?.group
    switch (operation.op) {
      case 'createBalancerPart':
        return this.explainPart(operation.part, f, show)
      case 'deregisterTargets':
        return this.ports(f).map((p) =>
          show('elasticloadbalancing:DeregisterTargets', {TargetGroupArn: f?.targetGroups.get(p)?.arn, Targets: operation.instanceIds.map((Id) => ({Id}))}),
        )
      case 'admitLaunch':
        return [
          show('autoscaling:CompleteLifecycleAction', {
            AutoScalingGroupName: group?.name ?? this.name,
            LifecycleHookName: this.hookName,
            InstanceId: operation.instanceId,
            LifecycleActionResult: operation.result === 'continue' ? 'CONTINUE' : 'ABANDON',
          }),
        ]
      case 'setGroupCount':
        return [show('autoscaling:UpdateAutoScalingGroup', {AutoScalingGroupName: group?.name, MinSize: operation.count, MaxSize: operation.count, DesiredCapacity: operation.count})]
      case 'terminateInGroup': {
        const call = show('autoscaling:TerminateInstanceInAutoScalingGroup', {InstanceId: operation.instanceId, ShouldDecrementDesiredCapacity: operation.decrement})
        if (!operation.decrement || !group) return [call]
        const after = group.desired - 1
        return [
          ...(group.min > after ? [show('autoscaling:UpdateAutoScalingGroup', {AutoScalingGroupName: group.name, MinSize: after})] : []),
          call,
          show('autoscaling:UpdateAutoScalingGroup', {AutoScalingGroupName: group.name, MaxSize: after}),
        ]
      }
    }
  }

  private explainPart(part: BalancerPart, f: Found | undefined, show: (api: string, input: unknown) => string): string[] {
    switch (part.part) {
      case 'launchTemplate': {
        const input = this.launchTemplateInput()
        const data = input.LaunchTemplateData ?? {}
        return [show('ec2:CreateLaunchTemplate', {...input, LaunchTemplateData: {...data, UserData: `(${Buffer.from(data.UserData ?? '', 'base64').length} bytes of cloud-init)`}})]
      }
      case 'targetGroup':
        return [show('elasticloadbalancing:CreateTargetGroup', this.targetGroupInput(part.port, f))]
      case 'targetGroupAttributes':
        return [
          show('elasticloadbalancing:ModifyTargetGroupAttributes', {
            TargetGroupArn: f?.targetGroups.get(part.port)?.arn ?? `(the target group for port ${part.port})`,
            Attributes: [{Key: 'deregistration_delay.timeout_seconds', Value: String(this.delaySeconds)}],
          }),
        ]
      case 'balancer':
        return [show('elasticloadbalancing:CreateLoadBalancer', this.balancerInput(f))]
      case 'balancerAttributes':
        return [
          show('elasticloadbalancing:ModifyLoadBalancerAttributes', {
            LoadBalancerArn: f?.balancer?.arn ?? '(the new load balancer)',
            Attributes: [{Key: 'load_balancing.cross_zone.enabled', Value: String(this.spec.balancer.crossZone)}],
          }),
        ]
      case 'listener':
        return [show('elasticloadbalancing:CreateListener', this.listenerInput(part.port, f))]
      case 'scalingGroup':
        return [show('autoscaling:CreateAutoScalingGroup', this.scalingGroupInput(part.count, f, part.ports))]
      case 'attachTargetGroup':
        return [
          show('autoscaling:AttachLoadBalancerTargetGroups', {
            AutoScalingGroupName: f?.group?.name,
            TargetGroupARNs: [f?.targetGroups.get(part.port)?.arn ?? `(the target group for port ${part.port})`],
          }),
        ]
      case 'launchHook':
        return [show('autoscaling:PutLifecycleHook', {AutoScalingGroupName: f?.group?.name ?? this.name, ...this.hookSettings()})]
    }
  }

  // LoadBalancer

  async describeBalancer(): Promise<BalancerView | undefined> {
    const f = await this.observe()
    if (!f.balancer) return undefined
    const ports = this.ports(f)
    // The health port's target group speaks for the proxy: all target groups share its health check.
    const primary = f.targetGroups.get(this.spec.health.proxy.port) ?? f.targetGroups.get(ports[0] ?? -1)
    const health = primary ? await this.clients.elbv2.describeTargetHealth(primary.arn) : []
    const targets: BalancerTarget[] = health.flatMap((h) => {
      const id = h.Target?.Id
      if (!id) return []
      const raw = (h.TargetHealth?.State ?? 'unavailable') as TargetState
      const reason = h.TargetHealth?.Description ?? h.TargetHealth?.Reason
      return [{instanceId: id, state: STATES.has(raw) ? raw : 'unavailable', ...(reason ? {reason} : {})}]
    })
    return {
      name: f.balancer.name,
      ...(f.balancer.dnsName ? {dnsName: f.balancer.dnsName} : {}),
      ...(f.balancer.hostedZoneId ? {hostedZoneId: f.balancer.hostedZoneId} : {}),
      ports: [...f.balancer.listeners].sort((a, b) => a - b),
      targets: targets.sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    }
  }

  async registerTargets(instanceIds: string[]): Promise<void> {
    const f = await this.observe()
    for (const p of this.ports(f)) await this.clients.elbv2.registerTargets(this.targetGroupArn(f, p), instanceIds.map((Id) => ({Id})))
  }

  async deregisterTargets(instanceIds: string[]): Promise<void> {
    const f = await this.observe()
    for (const p of this.ports(f)) await this.clients.elbv2.deregisterTargets(this.targetGroupArn(f, p), instanceIds.map((Id) => ({Id})))
  }

  // ScalingGroup

  async describeGroup(): Promise<ScalingView | undefined> {
    const groups = await this.clients.autoscaling.describeAutoScalingGroups([{Name: `tag:${TAG.cluster}`, Values: [this.spec.cluster]}])
    const g = groups.find((x) => x.AutoScalingGroupName)
    if (!g) return undefined
    this.groupSeen = {name: g.AutoScalingGroupName as string, desired: g.DesiredCapacity ?? 0, min: g.MinSize ?? 0, max: g.MaxSize ?? 0, targetGroups: g.TargetGroupARNs ?? []}
    return {
      name: g.AutoScalingGroupName as string,
      desired: g.DesiredCapacity ?? 0,
      min: g.MinSize ?? 0,
      max: g.MaxSize ?? 0,
      instances: (g.Instances ?? [])
        .map((i) => ({
          instanceId: i.InstanceId as string,
          ...(i.AvailabilityZone ? {zone: i.AvailabilityZone} : {}),
          lifecycle: i.LifecycleState ?? 'unknown',
          health: (i.HealthStatus ?? '').toLowerCase() === 'unhealthy' ? ('unhealthy' as const) : ('healthy' as const),
        }))
        .sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    }
  }

  async setCount(count: number): Promise<void> {
    const f = await this.observe()
    await this.clients.autoscaling.setSize(this.groupName(f), {min: count, max: count, desired: count})
    this.found = undefined
  }

  /**
   * The draining is the caller's (deregisterTargets, then wait): here only the group's part.
   * Shrinking below the group's minimum is refused by AWS, so with `decrement` the minimum
   * goes down first and the maximum follows, leaving min = max = desired.
   */
  async terminateThroughGroup(instanceId: string, options: {decrement: boolean}): Promise<void> {
    const view = await this.describeGroup()
    if (!view) throw new UsageError('the cluster has no auto scaling group yet', {actions: ['Run `hactl proxy launch` first.']})
    const {name} = view
    const group = view
    const after = group.desired - 1
    if (options.decrement && group.min > after) await this.clients.autoscaling.setSize(name, {min: after})
    await this.clients.autoscaling.terminateInstance(instanceId, options.decrement)
    if (options.decrement) await this.clients.autoscaling.setSize(name, {max: after})
    this.found = undefined
  }

  async pendingLaunches(): Promise<string[]> {
    const view = await this.describeGroup()
    return (view?.instances ?? []).filter((i) => i.lifecycle === PENDING_WAIT).map((i) => i.instanceId)
  }

  async admitLaunch(instanceId: string, result: 'abandon' | 'continue'): Promise<void> {
    const name = this.groupSeen?.name ?? (await this.describeGroup())?.name
    if (!name) throw new UsageError('the cluster has no auto scaling group yet', {actions: ['Run `hactl proxy launch` first.']})
    await this.clients.autoscaling.completeLifecycleAction({group: name, hook: this.hookName, instanceId, result: result === 'continue' ? 'CONTINUE' : 'ABANDON'})
  }
}
