/**
 * The Firewall capability on AWS: two security groups per cluster, tagged
 * hactl:cluster and hactl:role=proxy-firewall / backend-firewall, added to
 * the proxies (hactl:role=proxy) and the backends (hactl:backend=<name>,
 * hactl:role=backend, or the private addresses the proxy config names).
 */
import type {
  AuthorizeSecurityGroupIngressCommandInput,
  CreateSecurityGroupCommandInput,
  Filter,
  Instance,
  IpPermission,
  ModifyInstanceAttributeCommandInput,
  RevokeSecurityGroupIngressCommandInput,
  SecurityGroup,
  Tag,
  TagSpecification,
} from '@aws-sdk/client-ec2'

import type {Cluster} from '../../cluster/loader.js'
import {CloudError} from '../../errors.js'
import {RULE_MARK, type Firewall, type FirewallRole, type PolicyRule, type FirewallOperation, type FirewallScope, type FirewallState, type ObservedGroup, type ObservedInstance, type ObservedRule} from '../firewall.js'
import type {PermissionCheck} from '../operations.js'
import {hactlTags, TAG, type Role} from '../tags.js'
import {errorName} from './errors.js'
import {sdkClients, type AwsClients} from './sdk.js'

export interface AwsFirewallOptions {
  clients?: AwsClients
}

type Call =
  | {api: 'ec2:AuthorizeSecurityGroupIngress'; input: AuthorizeSecurityGroupIngressCommandInput}
  | {api: 'ec2:CreateSecurityGroup'; input: CreateSecurityGroupCommandInput}
  | {api: 'ec2:ModifyInstanceAttribute'; input: ModifyInstanceAttributeCommandInput}
  | {api: 'ec2:RevokeSecurityGroupIngress'; input: RevokeSecurityGroupIngressCommandInput}

const GROUP_ROLE: Record<FirewallRole, Role> = {proxies: 'proxy-firewall', backends: 'backend-firewall'}
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped']
/** EC2 takes at most 200 values per filter. */
const MAX_FILTER_VALUES = 200

export async function createAwsFirewall(cluster: Cluster, options: AwsFirewallOptions = {}): Promise<AwsFirewall> {
  const clients = options.clients ?? sdkClients({region: cluster.spec.region, profile: cluster.spec.profile})
  return new AwsFirewall(cluster.spec.cluster, clients)
}

function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
}

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']))
}

const PROTOCOLS: Record<string, string> = {'-1': 'all', '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6'}

/** One IpPermission holds several sources; the planner and audit think in one rule per source. */
export function observedRules(permissions: IpPermission[] | undefined): ObservedRule[] {
  const out: ObservedRule[] = []
  for (const p of permissions ?? []) {
    const protocol = PROTOCOLS[p.IpProtocol ?? '-1'] ?? p.IpProtocol ?? 'all'
    const ports = protocol === 'all' || p.FromPort === undefined || p.FromPort === -1 ? {} : {fromPort: p.FromPort, toPort: p.ToPort ?? p.FromPort}
    const add = (source: ObservedRule['source'], description: string | undefined): void => {
      out.push({protocol, ...ports, source, ...(description ? {description} : {})})
    }
    for (const r of p.IpRanges ?? []) if (r.CidrIp) add({cidr: r.CidrIp}, r.Description)
    for (const r of p.Ipv6Ranges ?? []) if (r.CidrIpv6) add({cidr: r.CidrIpv6}, r.Description)
    for (const g of p.UserIdGroupPairs ?? []) if (g.GroupId) add({groupId: g.GroupId}, g.Description)
    // A prefix list is a named set of networks: shown by its id, never taken for the proxies' group.
    for (const l of p.PrefixListIds ?? []) if (l.PrefixListId) add({cidr: l.PrefixListId}, l.Description)
  }
  return out
}

export class AwsFirewall implements Firewall {
  readonly firewallKind = 'security-groups' as const
  /** Group ids by role, from the last observe and the groups created since. */
  private readonly groupIds = new Map<FirewallRole, string>()

  constructor(
    private readonly cluster: string,
    private readonly clients: AwsClients,
  ) {}

  groupName(role: FirewallRole): string {
    return `hactl-${this.cluster}-${role}`
  }

  private async instances(filters: Filter[]): Promise<Instance[]> {
    return this.clients.ec2.describeInstances({Filters: [...filters, {Name: 'instance-state-name', Values: LIVE_STATES}]})
  }

  async observe(scope: FirewallScope): Promise<FirewallState> {
    const ec2 = this.clients.ec2
    const proxies = await this.instances([
      {Name: `tag:${TAG.cluster}`, Values: [this.cluster]},
      {Name: `tag:${TAG.role}`, Values: ['proxy']},
    ])
    const backends: Instance[] = [...(await this.instances([
      {Name: `tag:${TAG.cluster}`, Values: [this.cluster]},
      {Name: `tag:${TAG.role}`, Values: ['backend']},
    ]))]
    if (scope.backendNames.length > 0) backends.push(...(await this.instances([{Name: `tag:${TAG.backend}`, Values: scope.backendNames.slice(0, MAX_FILTER_VALUES)}])))
    const addresses = scope.backendAddresses.filter((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a))
    for (let i = 0; i < addresses.length; i += MAX_FILTER_VALUES) {
      backends.push(...(await this.instances([{Name: 'private-ip-address', Values: addresses.slice(i, i + MAX_FILTER_VALUES)}])))
    }
    const instances = new Map<string, ObservedInstance>()
    const add = (i: Instance, role: FirewallRole): void => {
      const id = i.InstanceId as string
      if (instances.has(id)) return
      const name = tagsOf(i.Tags).Name
      instances.set(id, {
        id,
        ...(name ? {name} : {}),
        role,
        groupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId as string).filter(Boolean),
        ...(i.VpcId ? {vpcId: i.VpcId} : {}),
        ...(i.PrivateIpAddress ? {privateAddress: i.PrivateIpAddress} : {}),
      })
    }
    for (const i of proxies) add(i, 'proxies')
    for (const i of backends) add(i, 'backends')

    const own = await ec2.describeSecurityGroups({
      filters: [
        {Name: `tag:${TAG.cluster}`, Values: [this.cluster]},
        {Name: `tag:${TAG.role}`, Values: Object.values(GROUP_ROLE)},
      ],
    })
    const groups = new Map<string, ObservedGroup>()
    const toGroup = (g: SecurityGroup, role?: FirewallRole): ObservedGroup => ({
      id: g.GroupId as string,
      name: g.GroupName ?? '',
      ...(role ? {role} : {}),
      rules: observedRules(g.IpPermissions),
    })
    this.groupIds.clear()
    for (const g of own) {
      const tag = tagsOf(g.Tags)[TAG.role]
      const role = (Object.keys(GROUP_ROLE) as FirewallRole[]).find((r) => GROUP_ROLE[r] === tag)
      if (!role) continue
      if (this.groupIds.has(role)) {
        throw new CloudError(`two security groups are tagged as the ${role}' group of ${this.cluster}: ${this.groupIds.get(role)} and ${g.GroupId}`, {
          actions: [`Delete the one hactl should not use, or remove its ${TAG.role} tag, then run again.`],
        })
      }
      this.groupIds.set(role, g.GroupId as string)
      groups.set(g.GroupId as string, toGroup(g, role))
    }
    const attached = [...new Set([...instances.values()].flatMap((i) => i.groupIds))].filter((id) => !groups.has(id))
    for (let i = 0; i < attached.length; i += MAX_FILTER_VALUES) {
      for (const g of await ec2.describeSecurityGroups({groupIds: attached.slice(i, i + MAX_FILTER_VALUES)})) groups.set(g.GroupId as string, toGroup(g))
    }
    return {groups: [...groups.values()], instances: [...instances.values()].sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id))}
  }

  private groupId(role: FirewallRole): string {
    const id = this.groupIds.get(role)
    if (id) return id
    // Only reachable in a dry run: the group a real run would create first.
    return `(new ${this.groupName(role)})`
  }

  private tagSpec(type: 'security-group' | 'security-group-rule', role: FirewallRole): TagSpecification[] {
    const tags = hactlTags(this.cluster, GROUP_ROLE[role], type === 'security-group' ? {Name: this.groupName(role)} : {})
    return [{ResourceType: type, Tags: toTags(tags)}]
  }

  private permission(rule: PolicyRule | ObservedRule, description?: string): IpPermission {
    const port = 'port' in rule ? {FromPort: rule.port, ToPort: rule.port} : rule.fromPort === undefined ? {} : {FromPort: rule.fromPort, ToPort: rule.toPort}
    const protocol = rule.protocol === 'all' ? '-1' : rule.protocol
    const withDescription = description ? {Description: description} : {}
    const source = rule.source
    if ('role' in source) return {IpProtocol: protocol, ...port, UserIdGroupPairs: [{GroupId: this.groupId(source.role), ...withDescription}]}
    if ('groupId' in source) return {IpProtocol: protocol, ...port, UserIdGroupPairs: [{GroupId: source.groupId}]}
    if (source.cidr.startsWith('pl-')) return {IpProtocol: protocol, ...port, PrefixListIds: [{PrefixListId: source.cidr}]}
    if (source.cidr.includes(':')) return {IpProtocol: protocol, ...port, Ipv6Ranges: [{CidrIpv6: source.cidr, ...withDescription}]}
    return {IpProtocol: protocol, ...port, IpRanges: [{CidrIp: source.cidr, ...withDescription}]}
  }

  /** The one call an operation makes, with its exact input. */
  private call(operation: FirewallOperation): Call {
    switch (operation.op) {
      case 'createGroup':
        return {
          api: 'ec2:CreateSecurityGroup',
          input: {
            GroupName: this.groupName(operation.role),
            Description: `hactl ${this.cluster}: ${operation.role === 'proxies' ? 'the proxies, reached by the world' : 'the backends, reached only by the proxies'}`,
            VpcId: operation.vpcId,
            TagSpecifications: this.tagSpec('security-group', operation.role),
          },
        }
      case 'authorize':
        return {
          api: 'ec2:AuthorizeSecurityGroupIngress',
          input: {
            GroupId: this.groupId(operation.role),
            IpPermissions: [this.permission(operation.rule, `${RULE_MARK} ${operation.rule.why}`)],
            TagSpecifications: this.tagSpec('security-group-rule', operation.role),
          },
        }
      case 'revoke':
        return {api: 'ec2:RevokeSecurityGroupIngress', input: {GroupId: operation.groupId, IpPermissions: [this.permission(operation.rule)]}}
      case 'attach':
        return {api: 'ec2:ModifyInstanceAttribute', input: {InstanceId: operation.instanceId, Groups: [...new Set([...operation.keep, this.groupId(operation.role)])]}}
    }
  }

  explain(operation: FirewallOperation): string[] {
    const {api, input} = this.call(operation)
    return [`${api} ${JSON.stringify(input)}`]
  }

  private async send(call: Call, dryRun = false): Promise<string | undefined> {
    const ec2 = this.clients.ec2
    const DryRun = dryRun || undefined
    switch (call.api) {
      case 'ec2:CreateSecurityGroup':
        return ec2.createSecurityGroup({...call.input, DryRun})
      case 'ec2:AuthorizeSecurityGroupIngress':
        return ec2.authorizeSecurityGroupIngress({...call.input, DryRun}).then(() => undefined)
      case 'ec2:RevokeSecurityGroupIngress':
        return ec2.revokeSecurityGroupIngress({...call.input, DryRun}).then(() => undefined)
      case 'ec2:ModifyInstanceAttribute':
        return ec2.modifyInstanceAttribute({...call.input, DryRun}).then(() => undefined)
    }
  }

  async apply(operations: FirewallOperation[]): Promise<void> {
    for (const operation of operations) {
      // Built just before sending: a group created by an earlier operation is in groupIds by now.
      const id = await this.send(this.call(operation))
      if (operation.op === 'createGroup' && id) this.groupIds.set(operation.role, id)
    }
  }

  /**
   * EC2 DryRun on each call. A call on a group that does not exist yet (a
   * plan that creates it) is checked against no group: EC2 then answers
   * InvalidGroup before it answers on permission, so it is reported as not checked.
   */
  async checkPermissions(operations: FirewallOperation[]): Promise<PermissionCheck[]> {
    const checks: PermissionCheck[] = []
    for (const operation of operations) {
      const call = this.call(operation)
      const action = call.api
      try {
        await this.send(call, true)
        checks.push({action, allowed: true, detail: 'allowed'})
      } catch (error) {
        const name = errorName((error as {cause?: unknown}).cause ?? error)
        if (name === 'DryRunOperation') checks.push({action, allowed: true, detail: 'allowed (DryRun)'})
        else if (name === 'UnauthorizedOperation' || name === 'AccessDenied') checks.push({action, allowed: false, detail: `denied (${name})`})
        else if (/^InvalidGroup/.test(name ?? '')) checks.push({action, allowed: true, detail: 'the group does not exist yet: not checked'})
        else throw error
      }
    }
    return checks
  }
}
