/**
 * The firewall capability: groups of ingress rules a cloud (or a host's
 * packet filter) enforces, one for the proxies and one for the backends, and
 * the instances they apply to. A capability like those in ./capabilities.ts, so a cluster
 * can have it or not; AWS security groups and the sandbox's groups implement it.
 *
 * The planner (src/firewall/planner.ts) turns the policy and the observed
 * state into FirewallOperations; `--dry-run` prints them through `explain`
 * and `apply` runs the same list.
 */
import type {PermissionCheck} from './operations.js'

/** EC2 security groups; the sandbox's groups, enforced by its supervisor on the demo backends. */
export const FIREWALL_KINDS = ['security-groups', 'sandbox-groups'] as const
export type FirewallKind = (typeof FIREWALL_KINDS)[number]

export const FIREWALL_ROLES = ['proxies', 'backends'] as const
export type FirewallRole = (typeof FIREWALL_ROLES)[number]

/** Where traffic may come from: a network, or the members of one of hactl's groups. */
export type RuleSource = {cidr: string} | {role: FirewallRole}

export interface PolicyRule {
  protocol: 'tcp' | 'udp'
  port: number
  source: RuleSource
  /** Why the rule exists; the rule's description on the cloud starts with `hactl:` and says this. */
  why: string
}

/** An ingress rule as the cloud holds it. `protocol` is `tcp`, `udp`, `icmp` … or `all`. */
export interface ObservedRule {
  protocol: string
  /** Undefined with protocol `all`: every port. */
  fromPort?: number
  toPort?: number
  source: {cidr: string} | {groupId: string}
  description?: string
}

export interface ObservedGroup {
  id: string
  name: string
  /** Set on the groups hactl made for this cluster (found by their tags). */
  role?: FirewallRole
  rules: ObservedRule[]
}

export interface ObservedInstance {
  id: string
  name?: string
  role: FirewallRole
  groupIds: string[]
  vpcId?: string
  privateAddress?: string
}

export interface FirewallState {
  /** hactl's groups, and every group attached to an instance below. */
  groups: ObservedGroup[]
  instances: ObservedInstance[]
}

/** Which instances are the cluster's: proxies by their tags; backends by tag or by the addresses the proxy config names. */
export interface FirewallScope {
  backendNames: string[]
  backendAddresses: string[]
}

export type FirewallOperation =
  | {op: 'createGroup'; role: FirewallRole; vpcId: string}
  | {op: 'authorize'; role: FirewallRole; rule: PolicyRule}
  | {op: 'revoke'; role: FirewallRole; groupId: string; rule: ObservedRule}
  /** Add the role's group to an instance, keeping the groups it has (`keep`). */
  | {op: 'attach'; role: FirewallRole; instanceId: string; keep: string[]}

export interface Firewall {
  readonly firewallKind: FirewallKind
  observe(scope: FirewallScope): Promise<FirewallState>
  /** Run operations in order; a group created by an earlier one is used by the later ones. */
  apply(operations: FirewallOperation[]): Promise<void>
  /** The exact cloud calls an operation makes, for `--dry-run`. */
  explain(operation: FirewallOperation): string[]
  checkPermissions?(operations: FirewallOperation[]): Promise<PermissionCheck[]>
}

/** The description prefix that marks a rule as hactl's: only such rules are ever revoked. */
export const RULE_MARK = 'hactl:'

export function ownedRule(rule: ObservedRule): boolean {
  return rule.description?.startsWith(RULE_MARK) ?? false
}

export function describeObservedRule(rule: ObservedRule): string {
  const ports = rule.fromPort === undefined ? 'all ports' : rule.fromPort === rule.toPort ? String(rule.fromPort) : `${rule.fromPort}-${rule.toPort}`
  const source = 'cidr' in rule.source ? rule.source.cidr : rule.source.groupId
  return `${rule.protocol}/${ports} from ${source}${rule.description ? ` (${rule.description})` : ''}`
}

/** Does the rule let `protocol/port` in? */
export function ruleCovers(rule: ObservedRule, protocol: string, port: number): boolean {
  if (rule.protocol === 'all') return true
  if (rule.protocol !== protocol) return false
  if (rule.fromPort === undefined || rule.toPort === undefined) return true
  return rule.fromPort <= port && port <= rule.toPort
}
