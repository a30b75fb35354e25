/**
 * The firewall policy as rules: what the proxies' group and the backends'
 * group must allow, derived from the cluster file's `firewall:` section and
 * the backend ports the proxy config lists. Pure: no cloud, no files.
 */
import type {PolicyRule, RuleSource} from '../cloud/firewall.js'
import type {ClusterSpec} from '../cluster/schema.js'
import type {BackendInfo} from '../proxy-config/engine.js'
import {WORLD_V4, WORLD_V6} from '../cluster/cidr.js'

export {FIREWALL_ROLES, type FirewallRole, type PolicyRule, type RuleSource} from '../cloud/firewall.js'

export interface FirewallPolicy {
  proxies: PolicyRule[]
  backends: PolicyRule[]
  /** The ports the backends serve on, each with the config lines or `backends:` entry that name it. */
  backendPorts: BackendPort[]
  /** Server addresses the proxy config names, for finding backend instances not tagged as such. */
  backendAddresses: string[]
  /** Backend names (config sections and `backends:` keys), for finding instances tagged `hactl:backend`. */
  backendNames: string[]
  sshPort: number
}

export interface BackendPort {
  port: number
  from: string[]
}

/** Bounds the policy so a huge config cannot produce thousands of cloud rules (a group allows 60 per direction by default). */
export const MAX_RULES_PER_ROLE = 60

/** Backend ports: every server port the engine lists, and every port of `backends:`. */
export function backendPorts(backends: BackendInfo[], spec: ClusterSpec, configFile: string): BackendPort[] {
  const ports = new Map<number, string[]>()
  const add = (port: number, from: string): void => {
    const list = ports.get(port) ?? []
    list.push(from)
    ports.set(port, list)
  }
  for (const b of backends) {
    for (const s of b.servers) if (s.port !== undefined) add(s.port, `${configFile}:${s.line}`)
  }
  for (const [name, entry] of Object.entries(spec.backends)) if (entry.port !== undefined) add(entry.port, `backends.${name}`)
  return [...ports.entries()].sort(([a], [b]) => a - b).map(([port, from]) => ({port, from}))
}

export function firewallPolicy(spec: ClusterSpec, backends: BackendInfo[], configFile: string): FirewallPolicy {
  const fw = spec.firewall ?? {admin: [], extra: [], public: undefined}
  const sshPort = spec.ssh.port
  const ssh = (): PolicyRule[] => fw.admin.map((cidr) => ({protocol: 'tcp', port: sshPort, source: {cidr}, why: `ssh from admin ${cidr}`}))
  const publicPorts = [...new Set(fw.public ?? [spec.health.proxy.port])].sort((a, b) => a - b)
  const proxies: PolicyRule[] = [
    ...publicPorts.flatMap((port): PolicyRule[] => [
      {protocol: 'tcp', port, source: {cidr: WORLD_V4}, why: `public ${port}`},
      {protocol: 'tcp', port, source: {cidr: WORLD_V6}, why: `public ${port}`},
    ]),
    ...ssh(),
  ]
  const portList = backendPorts(backends, spec, configFile)
  const backendRules: PolicyRule[] = [
    ...portList.map(({port}): PolicyRule => ({protocol: 'tcp', port, source: {role: 'proxies'}, why: `backend ${port} from proxies`})),
    ...ssh(),
  ]
  for (const rule of fw.extra) {
    const target = rule.role === 'proxies' ? proxies : backendRules
    for (const cidr of rule.from) target.push({protocol: rule.protocol, port: rule.port, source: {cidr}, why: rule.note ? `extra ${rule.note}` : `extra ${rule.port}`})
  }
  const addresses = backends.flatMap((b) => b.servers.map((s) => s.address))
  return {
    proxies: dedupe(proxies),
    backends: dedupe(backendRules),
    backendPorts: portList,
    backendAddresses: [...new Set(addresses)].sort(),
    backendNames: [...new Set([...backends.map((b) => b.name), ...Object.keys(spec.backends)])].sort(),
    sshPort,
  }
}

export function ruleKey(rule: {protocol: string; port: number; source: RuleSource}): string {
  return `${rule.protocol}/${rule.port}/${'cidr' in rule.source ? rule.source.cidr : `@${rule.source.role}`}`
}

function dedupe(rules: PolicyRule[]): PolicyRule[] {
  const seen = new Set<string>()
  return rules.filter((r) => {
    const key = ruleKey(r)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export function describeSource(source: RuleSource): string {
  return 'cidr' in source ? source.cidr : `the ${source.role}' group`
}

export function describeRule(rule: {protocol: string; port: number; source: RuleSource}): string {
  return `${rule.protocol}/${rule.port} from ${describeSource(rule.source)}`
}
