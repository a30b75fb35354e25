/**
 * Policy + observed state → the operations that make the cloud match the
 * policy. Pure. Rules hactl did not make (no `hactl:` description) are never
 * revoked; a rule that already allows exactly what the policy wants counts as
 * present whoever made it.
 */
import {describeObservedRule, ownedRule, type FirewallOperation, type FirewallState, type ObservedGroup, type ObservedRule} from '../cloud/firewall.js'
import {UsageError} from '../errors.js'
import {FIREWALL_ROLES, describeRule, MAX_RULES_PER_ROLE, type FirewallPolicy, type FirewallRole, type PolicyRule} from './policy.js'

export function hactlGroup(state: FirewallState, role: FirewallRole): ObservedGroup | undefined {
  return state.groups.find((g) => g.role === role)
}

/** The policy rule an observed rule is, if it is one exactly (one port, same protocol and source). */
export function matches(observed: ObservedRule, wanted: PolicyRule, proxiesGroupId: string | undefined): boolean {
  if (observed.protocol !== wanted.protocol || observed.fromPort !== wanted.port || observed.toPort !== wanted.port) return false
  if ('cidr' in wanted.source) return 'cidr' in observed.source && observed.source.cidr === wanted.source.cidr
  return 'groupId' in observed.source && proxiesGroupId !== undefined && observed.source.groupId === proxiesGroupId
}

export function planFirewallOperations(policy: FirewallPolicy, state: FirewallState): FirewallOperation[] {
  for (const role of FIREWALL_ROLES) {
    if (policy[role].length > MAX_RULES_PER_ROLE) {
      throw new UsageError(`the firewall policy gives the ${role} ${policy[role].length} rules; a group holds at most ${MAX_RULES_PER_ROLE}`, {
        actions: ['Use fewer admin networks, extra rules or backend ports, or wider CIDRs.'],
      })
    }
  }
  const vpcs = [...new Set(state.instances.map((i) => i.vpcId).filter((v): v is string => Boolean(v)))]
  if (vpcs.length > 1) {
    throw new UsageError(`the cluster's instances are in ${vpcs.length} VPCs (${vpcs.join(', ')}); one pair of groups cannot cover them`, {
      actions: ['Put the proxies and backends in one VPC.'],
    })
  }
  const operations: FirewallOperation[] = []
  const proxiesGroupId = hactlGroup(state, 'proxies')?.id
  for (const role of FIREWALL_ROLES) {
    const group = hactlGroup(state, role)
    if (!group) {
      const [vpcId] = vpcs
      if (!vpcId) {
        throw new UsageError('no proxy or backend instance found: there is no VPC to make the firewall groups in', {
          actions: ['Launch the proxies first (`hactl proxy up`), or tag the backends hactl:backend=<name>.'],
        })
      }
      operations.push({op: 'createGroup', role, vpcId})
    }
    const existing = group?.rules ?? []
    for (const rule of policy[role]) {
      if (!existing.some((o) => matches(o, rule, proxiesGroupId))) operations.push({op: 'authorize', role, rule})
    }
    for (const rule of existing) {
      if (!ownedRule(rule)) continue
      if (!policy[role].some((w) => matches(rule, w, proxiesGroupId))) operations.push({op: 'revoke', role, groupId: group!.id, rule})
    }
    for (const instance of state.instances.filter((i) => i.role === role)) {
      if (!group || !instance.groupIds.includes(group.id)) operations.push({op: 'attach', role, instanceId: instance.id, keep: instance.groupIds})
    }
  }
  return operations
}

/** One line a person reads for each operation; the provider's `explain` gives the exact calls. */
export function describeFirewallOperation(operation: FirewallOperation): string {
  switch (operation.op) {
    case 'createGroup':
      return `create the ${operation.role}' group in ${operation.vpcId}`
    case 'authorize':
      return `allow ${describeRule(operation.rule)} into the ${operation.role}' group (${operation.rule.why})`
    case 'revoke':
      return `revoke ${describeObservedRule(operation.rule)} from the ${operation.role}' group ${operation.groupId}: the policy no longer has it`
    case 'attach':
      return `add the ${operation.role}' group to ${operation.instanceId}`
  }
}
