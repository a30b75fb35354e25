/**
 * The capabilities on AWS: proxies are EC2 instances (Instances), addresses
 * are Elastic IPs (AddressPool), the record set is a Route 53 A record (DnsZone). Everything is found by the
 * `hactl:cluster` and `hactl:role` tags.
 */
import type {Address, AllocateAddressCommandInput, Filter, Instance, InstanceStatus, RunInstancesCommandInput, Tag} from '@aws-sdk/client-ec2'

import type {Cluster} from '../../cluster/loader.js'
import type {ClusterSpec} from '../../cluster/schema.js'
import {ConfigError} from '../../errors.js'
import type {AddressPool, BackendDiscovery, Cloud, Instances, PairTags} from '../capabilities.js'
import type {DnsZone} from '../dns-zone.js'
import type {OperationPlanner, PermissionCheck, ProviderOperation} from '../operations.js'
import type {BackendInstance, ElasticAddress, InstanceState, LaunchOptions, Placement, ProxyInstance, RecordSet} from '../provider.js'
import {hactlTags, TAG} from '../tags.js'
import {proxyUserData} from '../user-data.js'
import type {RetryPolicy} from './client-config.js'
import {autoScalingAdapter} from './autoscaling-client.js'
import {elbv2Adapter} from './elbv2-client.js'
import {errorName} from './errors.js'
import {launchTemplateAdapter} from './launch-template-client.js'
import {AwsNlb, isNlbOperation, type NlbClients} from './nlb.js'
import {Route53Zone, route53ZoneSpec} from './route53-zone.js'
import {sdkClients, type AwsClients} from './sdk.js'

export interface AwsProviderOptions {
  /** Injected clients (tests); real SDK clients otherwise. */
  clients?: AwsClients
  retry?: Partial<RetryPolicy>
  /** Bounds the wait for Route 53 to report INSYNC. */
  dnsSyncTimeoutMs?: number
  /** Injected clients for topology nlb (tests); real SDK clients otherwise. */
  nlbClients?: NlbClients
}

export async function createAwsProvider(cluster: Cluster, options: AwsProviderOptions = {}): Promise<AwsProvider> {
  // The region and profile are the cluster's: the command applied --region and --profile to it once.
  const clientOptions = {region: cluster.spec.region, profile: cluster.spec.profile, retry: options.retry}
  const clients = options.clients ?? sdkClients(clientOptions)
  const provider = new AwsProvider(cluster.spec, clients, options, cluster.file)
  if (cluster.spec.topology === 'nlb') {
    const nlbClients = options.nlbClients ?? {elbv2: elbv2Adapter(clientOptions), autoscaling: autoScalingAdapter(clientOptions), ec2: launchTemplateAdapter(clientOptions)}
    provider.nlb = new AwsNlb(cluster.spec, nlbClients, cluster.file)
  }
  return provider
}

/** An AWS cluster has every capability hactl knows, from one set of SDK clients. */
export async function awsCloud(cluster: Cluster): Promise<Cloud> {
  return cloudOf(await createAwsProvider(cluster))
}

export function cloudOf(aws: AwsProvider): Cloud {
  const nlb = aws.nlb
  return {kind: 'aws', hosts: aws, instances: aws, addresses: aws, backends: aws, pairTags: aws, planner: aws, ...(nlb ? {balancer: nlb, scaling: nlb, balancerSetup: nlb} : {})}
}

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']))
}

function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
}

export class AwsProvider implements Instances, AddressPool, DnsZone, BackendDiscovery, PairTags, OperationPlanner {
  readonly kind = 'aws' as const
  readonly dnsKind = 'route53' as const
  private route53Zone?: Route53Zone
  /** topology nlb: the balancer, its target groups and the scaling group. */
  nlb?: AwsNlb

  constructor(
    private readonly spec: ClusterSpec,
    private readonly clients: AwsClients,
    private readonly options: AwsProviderOptions = {},
    /** The cluster file, for messages. */
    private readonly file = 'hactl.yaml',
  ) {}

  private clusterFilters(role: string): Filter[] {
    return [
      {Name: `tag:${TAG.cluster}`, Values: [this.spec.cluster]},
      {Name: `tag:${TAG.role}`, Values: [role]},
    ]
  }

  async listProxies(): Promise<ProxyInstance[]> {
    const instances = await this.clients.ec2.describeInstances({
      Filters: [...this.clusterFilters('proxy'), {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down']}],
    })
    const running = instances.filter((i) => i.State?.Name === 'running').map((i) => i.InstanceId as string)
    const statuses = await this.clients.ec2.describeInstanceStatus(running)
    const byId = new Map(statuses.map((s) => [s.InstanceId, s]))
    return instances.map((i) => this.toProxy(i, byId.get(i.InstanceId))).sort((a, b) => a.zone.localeCompare(b.zone) || a.id.localeCompare(b.id))
  }

  private toProxy(i: Instance, status: InstanceStatus | undefined): ProxyInstance {
    const tags = tagsOf(i.Tags)
    const checks = [status?.SystemStatus?.Status, status?.InstanceStatus?.Status]
    const statusOk = checks.every((c) => c === 'ok') ? true : checks.some((c) => c === 'impaired') ? false : undefined
    return {
      id: i.InstanceId as string,
      ...(tags.Name ? {name: tags.Name} : {}),
      zone: i.Placement?.AvailabilityZone ?? '',
      state: (i.State?.Name ?? 'pending') as InstanceState,
      ...(i.PrivateIpAddress ? {privateAddress: i.PrivateIpAddress} : {}),
      ...(i.PublicIpAddress ? {publicAddress: i.PublicIpAddress} : {}),
      ...(statusOk === undefined ? {} : {statusOk}),
      ...(i.LaunchTime ? {launchedAt: new Date(i.LaunchTime).toISOString()} : {}),
      tags,
      access: {transport: 'ssh', address: i.PublicIpAddress ?? i.PrivateIpAddress, port: this.spec.ssh.port, user: this.spec.ssh.user},
    }
  }

  private runInstancesInputs(placements: Placement[], clientToken: string): RunInstancesCommandInput[] {
    const inst = this.spec.proxy.instances
    if (!inst.image) {
      throw new ConfigError('proxy.instances.image is needed to launch proxies on AWS', {file: this.file}, {
        actions: ['Set proxy.instances.image to a Debian, Ubuntu or Amazon Linux AMI id of your region (ami-…).'],
      })
    }
    // One call per named instance: each gets its own Name from the first byte, so no two ever share one.
    // Unnamed placements (older callers) are grouped by zone and subnet, as one call each.
    const groups = new Map<string, {placement: Placement; count: number}>()
    placements.forEach((p, i) => {
      const key = p.name ? `#${i}` : `${p.zone}/${p.subnet ?? ''}/${p.pair ?? ''}`
      const g = groups.get(key) ?? {placement: p, count: 0}
      g.count++
      groups.set(key, g)
    })
    const userData = Buffer.from(proxyUserData(this.spec.proxy.engine, this.spec.cluster, inst.userData)).toString('base64')
    return [...groups.values()].map(({count, placement}, n) => {
      const tags = toTags(hactlTags(this.spec.cluster, 'proxy', {...(placement.name ? {Name: placement.name} : {}), ...(placement.pair ? {[TAG.pair]: placement.pair} : {})}))
      return {
        ImageId: inst.image,
        InstanceType: inst.type as RunInstancesCommandInput['InstanceType'],
        MinCount: count,
        MaxCount: count,
        ...(inst.keyName ? {KeyName: inst.keyName} : {}),
        ...(placement.subnet ? {SubnetId: placement.subnet} : {Placement: {AvailabilityZone: placement.zone}}),
        ...(inst.securityGroups.length > 0 ? {SecurityGroupIds: inst.securityGroups} : {}),
        // A retried RunInstances with the same token creates nothing twice (on AWS; moto ignores it).
        ClientToken: `${clientToken}-${n}`.slice(0, 64),
        MetadataOptions: {HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1},
        UserData: userData,
        TagSpecifications: [
          {ResourceType: 'instance', Tags: tags},
          {ResourceType: 'volume', Tags: tags},
        ],
      }
    })
  }

  async launchProxies(placements: Placement[], options: LaunchOptions): Promise<ProxyInstance[]> {
    const launched: ProxyInstance[] = []
    for (const input of this.runInstancesInputs(placements, options.clientToken)) {
      for (const i of await this.clients.ec2.runInstances(input)) launched.push(this.toProxy(i, undefined))
    }
    return launched
  }

  /** Subnet → zone, for placing proxies round-robin over the configured subnets. */
  async subnetZones(subnets: string[]): Promise<Map<string, string>> {
    if (subnets.length === 0) return new Map()
    const found = await this.clients.ec2.describeSubnets(subnets)
    return new Map(found.map((s) => [s.SubnetId as string, s.AvailabilityZone as string]))
  }

  async terminateProxy(id: string): Promise<void> {
    await this.clients.ec2.terminateInstances([id])
  }

  async listAddresses(): Promise<ElasticAddress[]> {
    const addresses = await this.clients.ec2.describeAddresses(this.clusterFilters('address'))
    return addresses.map(toAddress).sort((a, b) => a.publicIp.localeCompare(b.publicIp))
  }

  async allocateAddress(options: {pair?: string} = {}): Promise<ElasticAddress> {
    const out = await this.clients.ec2.allocateAddress(this.allocateAddressInput(options.pair))
    return {allocationId: out.AllocationId as string, publicIp: out.PublicIp as string, tags: this.addressTags(options.pair)}
  }

  private addressTags(pair: string | undefined): Record<string, string> {
    return hactlTags(this.spec.cluster, 'address', pair ? {[TAG.pair]: pair} : {})
  }

  /** Only the pair tag: the resource already carries the cluster's tags, which the policy's condition checks. */
  async tagPair(_resource: 'address' | 'proxy', id: string, pair: string): Promise<void> {
    await this.clients.ec2.createTags({Resources: [id], Tags: [{Key: TAG.pair, Value: pair}]})
  }

  /**
   * The one AllocateAddress request, for the real call and its --check-permissions dry run alike: the
   * policy allows it only with the cluster's tag in the request, so a dry run without the tags would be
   * judged under another condition than the call it stands for.
   */
  private allocateAddressInput(pair?: string): AllocateAddressCommandInput {
    return {Domain: 'vpc', TagSpecifications: [{ResourceType: 'elastic-ip', Tags: toTags(this.addressTags(pair))}]}
  }

  async associateAddress(allocationId: string, instanceId: string): Promise<void> {
    await this.clients.ec2.associateAddress({AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: true})
  }

  async disassociateAddress(allocationId: string): Promise<void> {
    const address = (await this.listAddresses()).find((a) => a.allocationId === allocationId)
    if (!address?.associationId) return
    await this.clients.ec2.disassociateAddress({AssociationId: address.associationId})
  }

  async releaseAddress(allocationId: string): Promise<void> {
    await this.clients.ec2.releaseAddress({AllocationId: allocationId})
  }

  /** The cluster's Route 53 record; kept here for callers that still reach DNS through the Provider. */
  private get dns(): Route53Zone {
    this.route53Zone ??= new Route53Zone(route53ZoneSpec(this.spec, this.file), this.clients.route53, {syncTimeoutMs: this.options.dnsSyncTimeoutMs})
    return this.route53Zone
  }

  getRecordSet(name: string): Promise<RecordSet | undefined> {
    return this.dns.getRecordSet(name)
  }

  upsertRecordSet(records: RecordSet, options: {wait?: boolean} = {}): Promise<void> {
    return this.dns.upsertRecordSet(records, options)
  }

  async listBackendInstances(backend: string): Promise<BackendInstance[]> {
    const instances = await this.clients.ec2.describeInstances({
      // Both tags: a backend of the same name in another cluster (same account and region) is not ours.
      Filters: [
        {Name: `tag:${TAG.cluster}`, Values: [this.spec.cluster]},
        {Name: `tag:${TAG.backend}`, Values: [backend]},
        {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']},
      ],
    })
    return instances.map((i) => {
      const tags = tagsOf(i.Tags)
      const port = Number(tags[TAG.port])
      return {
        id: i.InstanceId as string,
        zone: i.Placement?.AvailabilityZone,
        state: (i.State?.Name ?? 'pending') as InstanceState,
        ...(i.PrivateIpAddress ? {privateAddress: i.PrivateIpAddress} : {}),
        ...(Number.isInteger(port) && port > 0 ? {port} : {}),
        tags,
      }
    })
  }

  explain(operation: ProviderOperation): string[] {
    const show = (api: string, input: unknown): string => `${api} ${JSON.stringify(input)}`
    if (isNlbOperation(operation)) return this.nlb?.explain(operation, show) ?? []
    switch (operation.op) {
      case 'allocateAddress':
        return [show('ec2:AllocateAddress', {Domain: 'vpc', Tags: this.addressTags(operation.pair)})]
      case 'tagPair':
        return [show('ec2:CreateTags', {Resources: [operation.id], Tags: [{Key: TAG.pair, Value: operation.pair}]})]
      case 'associateAddress':
        return [show('ec2:AssociateAddress', {AllocationId: operation.allocationId, InstanceId: operation.instanceId, AllowReassociation: true})]
      case 'disassociateAddress':
        return [show('ec2:DisassociateAddress', {AllocationId: operation.allocationId})]
      case 'releaseAddress':
        return [show('ec2:ReleaseAddress', {AllocationId: operation.allocationId})]
      case 'terminateProxy':
        return [show('ec2:TerminateInstances', {InstanceIds: [operation.instanceId]})]
      case 'launchProxies':
        return this.runInstancesInputs(operation.placements, operation.clientToken).map((input) =>
          show('ec2:RunInstances', {...input, UserData: `(${Buffer.from(input.UserData ?? '', 'base64').length} bytes of cloud-init)`}),
        )
      case 'upsertRecordSet':
        return this.dns.explainUpsert(operation.records)
    }
  }

  /**
   * EC2 answers DryRun=true with DryRunOperation when the call would be
   * allowed and UnauthorizedOperation when not, changing nothing. Route 53
   * has no dry run: its calls are reported as not checked.
   */
  async checkPermissions(operations: ProviderOperation[]): Promise<PermissionCheck[]> {
    const checks: PermissionCheck[] = []
    for (const operation of operations) {
      const probe = this.dryRunProbe(operation)
      if (!probe) {
        // Elastic Load Balancing and Auto Scaling have no dry run: each of their calls is listed as not checked.
        const calls = isNlbOperation(operation) ? this.explain(operation) : this.explain(operation).slice(0, 1)
        for (const call of calls) checks.push({action: call.split(' ')[0], allowed: true, detail: 'no dry run for this API: not checked'})
        continue
      }
      const [action, call] = probe
      try {
        await call()
        checks.push({action, allowed: true, detail: 'allowed'})
      } catch (error) {
        const cause = (error as {cause?: unknown}).cause ?? error
        const name = errorName(cause)
        if (name === 'DryRunOperation') checks.push({action, allowed: true, detail: 'allowed (DryRun)'})
        else if (name === 'UnauthorizedOperation' || name === 'AccessDenied') checks.push({action, allowed: false, detail: `denied (${name})`})
        else throw error
      }
    }
    return checks
  }

  private dryRunProbe(operation: ProviderOperation): [string, () => Promise<unknown>] | undefined {
    const ec2 = this.clients.ec2
    if (isNlbOperation(operation)) return undefined
    switch (operation.op) {
      case 'allocateAddress':
        return ['ec2:AllocateAddress', () => ec2.allocateAddress({...this.allocateAddressInput(operation.pair), DryRun: true})]
      case 'tagPair':
        return ['ec2:CreateTags', () => ec2.createTags({Resources: [operation.id], Tags: [{Key: TAG.pair, Value: operation.pair}], DryRun: true})]
      case 'associateAddress':
        return [
          'ec2:AssociateAddress',
          () => ec2.associateAddress({AllocationId: operation.allocationId, InstanceId: operation.instanceId, AllowReassociation: true, DryRun: true}),
        ]
      case 'disassociateAddress':
        return ['ec2:DisassociateAddress', () => ec2.disassociateAddress({AssociationId: 'eipassoc-00000000', DryRun: true})]
      case 'releaseAddress':
        return ['ec2:ReleaseAddress', () => ec2.releaseAddress({AllocationId: operation.allocationId, DryRun: true})]
      case 'terminateProxy':
        return ['ec2:TerminateInstances', () => ec2.terminateInstances([operation.instanceId], true)]
      case 'launchProxies': {
        const [input] = this.runInstancesInputs(operation.placements, operation.clientToken)
        return input ? ['ec2:RunInstances', () => ec2.runInstances({...input, DryRun: true})] : undefined
      }
      case 'upsertRecordSet':
        return undefined
    }
  }
}

function toAddress(a: Address): ElasticAddress {
  return {
    allocationId: a.AllocationId as string,
    publicIp: a.PublicIp as string,
    ...(a.InstanceId ? {instanceId: a.InstanceId} : {}),
    ...(a.AssociationId ? {associationId: a.AssociationId} : {}),
    tags: tagsOf(a.Tags),
  }
}
