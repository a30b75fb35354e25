/**
 * What `firewall audit` finds in the real state, whoever made the rules:
 * a backend reachable on a backend port from anything but the proxies'
 * group (or a network the policy names), a proxy open on a port or to a
 * source outside the policy, SSH open to the world. Pure.
 */
import {describeObservedRule, ruleCovers, type FirewallState, type ObservedRule} from '../cloud/firewall.js'
import {isWorld} from '../cluster/cidr.js'
import {hactlGroup} from './planner.js'
import type {FirewallPolicy, FirewallRole, PolicyRule} from './policy.js'

/** Security groups: the first three. nftables hosts: their table is missing, differs from the plan, or could not be read. */
export const FINDING_KINDS = ['backend-open', 'proxy-open', 'ssh-world', 'nft-missing', 'nft-differs', 'unreachable'] as const
export type FindingKind = (typeof FINDING_KINDS)[number]

export interface Finding {
  kind: FindingKind
  /** The security group; on nftables hosts, the host. */
  groupId: string
  /** The group's name; on nftables hosts, `table inet hactl`. */
  groupName: string
  /** The rule as the cloud holds it, in words. */
  rule: string
  /** The instances the rule applies to. */
  instances: string[]
  detail: string
}

export interface AuditResult {
  findings: Finding[]
  /** How many instances and groups (nftables: hosts) were looked at: an audit of nothing passes, and says so. */
  checked: {proxies: number; backends: number; groups: number}
}

/** Port ranges wider than this are outside any policy hactl writes (it opens single ports). */
const WIDEST_ALLOWED_RANGE = 128

function allowedBy(policy: PolicyRule[], rule: ObservedRule, port: number, proxiesGroupId: string | undefined): boolean {
  const protocol = rule.protocol === 'all' ? undefined : rule.protocol
  return policy.some((p) => {
    if (p.port !== port || (protocol !== undefined && p.protocol !== protocol)) return false
    if ('cidr' in rule.source) return 'cidr' in p.source && (isWorld(p.source.cidr) || p.source.cidr === rule.source.cidr)
    return 'role' in p.source && p.source.role === 'proxies' && rule.source.groupId === proxiesGroupId
  })
}

/** Every port of a rule is one the policy opens to that source. */
function withinPolicy(policy: PolicyRule[], rule: ObservedRule, proxiesGroupId: string | undefined): boolean {
  if (rule.protocol === 'all' || rule.fromPort === undefined || rule.toPort === undefined) return false
  if (rule.toPort - rule.fromPort >= WIDEST_ALLOWED_RANGE) return false
  for (let port = rule.fromPort; port <= rule.toPort; port++) if (!allowedBy(policy, rule, port, proxiesGroupId)) return false
  return true
}

export function auditFirewall(policy: FirewallPolicy, state: FirewallState): AuditResult {
  const proxiesGroupId = hactlGroup(state, 'proxies')?.id
  const groups = new Map(state.groups.map((g) => [g.id, g]))
  const found = new Map<string, Finding>()
  const report = (kind: FindingKind, groupId: string, rule: ObservedRule, instance: string, detail: string): void => {
    const text = describeObservedRule(rule)
    const key = `${kind} ${groupId} ${text}`
    const existing = found.get(key)
    if (existing) {
      if (!existing.instances.includes(instance)) existing.instances.push(instance)
      return
    }
    found.set(key, {kind, groupId, groupName: groups.get(groupId)?.name ?? groupId, rule: text, instances: [instance], detail})
  }
  const sshPorts = [...new Set([22, policy.sshPort])]
  const checkRole = (role: FirewallRole): void => {
    for (const instance of state.instances.filter((i) => i.role === role)) {
      for (const groupId of instance.groupIds) {
        for (const rule of groups.get(groupId)?.rules ?? []) {
          const world = 'cidr' in rule.source && isWorld(rule.source.cidr)
          const ssh = sshPorts.find((p) => ruleCovers(rule, 'tcp', p))
          if (world && ssh !== undefined) report('ssh-world', groupId, rule, instance.id, `SSH (port ${ssh}) is open to the world`)
          if (role === 'backends') {
            const open = policy.backendPorts.filter(({port}) => ruleCovers(rule, 'tcp', port) && !allowedBy(policy.backends, rule, port, proxiesGroupId))
            if (open.length > 0) {
              report('backend-open', groupId, rule, instance.id, `backend port ${open.map((p) => p.port).join(', ')} is reachable from ${'cidr' in rule.source ? rule.source.cidr : `group ${rule.source.groupId}`}, not only from the proxies`)
            }
          } else if (!withinPolicy(policy.proxies, rule, proxiesGroupId) && !(world && ssh !== undefined && rule.fromPort === rule.toPort)) {
            report('proxy-open', groupId, rule, instance.id, 'the proxies are open outside the policy')
          }
        }
      }
    }
  }
  checkRole('proxies')
  checkRole('backends')
  const findings = [...found.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.groupId.localeCompare(b.groupId) || a.rule.localeCompare(b.rule))
  for (const f of findings) f.instances.sort()
  return {
    findings,
    checked: {
      proxies: state.instances.filter((i) => i.role === 'proxies').length,
      backends: state.instances.filter((i) => i.role === 'backends').length,
      groups: new Set(state.instances.flatMap((i) => i.groupIds)).size,
    },
  }
}
