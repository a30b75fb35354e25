/**
 * The firewall policy as an nftables table `inet hactl`, one per host role,
 * for hosts without a cloud firewall (`provider: static`). Pure: the text
 * to load with `nft -f`, and the comparison of a live `nft -j list table inet
 * hactl` with the plan, rule by rule and in order.
 *
 * The chain's policy is accept: hactl governs the ports it knows (public,
 * SSH, backend and extra ports) and leaves every other port to the host's
 * own rules, so loading the table never cuts off a service it does not know.
 */
import {isIP} from 'node:net'

import {parseCidr} from '../cluster/cidr.js'
import type {FirewallPolicy, FirewallRole, PolicyRule} from './policy.js'

export interface NftRule {
  /** `iif lo` and `ct state established,related` are written as fixed rules. */
  fixed?: 'ct-established' | 'loopback'
  family?: 'ip' | 'ip6'
  saddr?: string[]
  protocol?: 'tcp' | 'udp'
  dports?: number[]
  verdict: 'accept' | 'drop'
}

export interface NftPlan {
  role: FirewallRole
  rules: NftRule[]
  /** The file for `nft -f`: replaces the table in one transaction (create-if-missing, delete, add). */
  text: string
}

/** `a.b.c.d/32` and `a.b.c.d` are the same source; nft prints the bare address. */
function normalizeSource(cidr: string): string {
  const parsed = parseCidr(cidr)
  if (!parsed) return cidr
  const full = parsed.family === 4 ? 32 : 128
  return parsed.prefix === full ? parsed.address : `${parsed.address}/${parsed.prefix}`
}

function byFamily(cidrs: string[]): {ip: string[]; ip6: string[]} {
  const ip = cidrs.filter((c) => !c.includes(':')).map(normalizeSource)
  const ip6 = cidrs.filter((c) => c.includes(':')).map(normalizeSource)
  return {ip: [...new Set(ip)].sort(), ip6: [...new Set(ip6)].sort()}
}

/** One accept rule per family and (protocol, port) group of the given sources. */
function accepts(protocol: 'tcp' | 'udp', ports: number[], sources: string[]): NftRule[] {
  const out: NftRule[] = []
  const sorted = [...new Set(ports)].sort((a, b) => a - b)
  if (sorted.length === 0) return out
  const {ip, ip6} = byFamily(sources)
  const world = (list: string[], zero: string): boolean => list.includes(zero)
  if (world(ip, '0.0.0.0/0') && world(ip6, '::/0')) return [{protocol, dports: sorted, verdict: 'accept'}]
  if (ip.length > 0) out.push(world(ip, '0.0.0.0/0') ? {family: 'ip', protocol, dports: sorted, verdict: 'accept'} : {family: 'ip', saddr: ip, protocol, dports: sorted, verdict: 'accept'})
  if (ip6.length > 0) out.push(world(ip6, '::/0') ? {family: 'ip6', protocol, dports: sorted, verdict: 'accept'} : {family: 'ip6', saddr: ip6, protocol, dports: sorted, verdict: 'accept'})
  return out
}

/**
 * The rules of one role. `proxyAddresses` are the proxies' own addresses:
 * the only sources the backends accept on their ports.
 */
export function nftRules(policy: FirewallPolicy, role: FirewallRole, proxyAddresses: string[]): NftRule[] {
  const rules: NftRule[] = [
    {fixed: 'loopback', verdict: 'accept'},
    {fixed: 'ct-established', verdict: 'accept'},
  ]
  const cidrRules = policy[role].filter((r): r is PolicyRule & {source: {cidr: string}} => 'cidr' in r.source)
  const fromProxies = policy[role].filter((r) => 'role' in r.source)
  // Rules with the same sources and protocol share one line: `ip saddr {…} tcp dport {…} accept`.
  const groups = new Map<string, {protocol: 'tcp' | 'udp'; ports: number[]; sources: string[]}>()
  const add = (protocol: 'tcp' | 'udp', port: number, sources: string[]): void => {
    const key = `${protocol} ${[...sources].sort().join(',')}`
    const g = groups.get(key) ?? {protocol, ports: [], sources}
    g.ports.push(port)
    groups.set(key, g)
  }
  if (fromProxies.length > 0) {
    const proxies = proxyAddresses.map((a) => (isIP(a) === 6 ? `${a}/128` : `${a}/32`))
    for (const r of fromProxies) if (proxies.length > 0) add(r.protocol, r.port, proxies)
  }
  const byPort = new Map<string, {protocol: 'tcp' | 'udp'; port: number; sources: string[]}>()
  for (const r of cidrRules) {
    const key = `${r.protocol}/${r.port}`
    const entry = byPort.get(key) ?? {protocol: r.protocol, port: r.port, sources: []}
    entry.sources.push(r.source.cidr)
    byPort.set(key, entry)
  }
  for (const {port, protocol, sources} of byPort.values()) add(protocol, port, sources)
  for (const g of groups.values()) rules.push(...accepts(g.protocol, g.ports, g.sources))
  // Then every port the policy names is closed to whoever the accepts above did not name. SSH is
  // governed only when the policy names admin networks: with none, closing it would lock the operator out.
  for (const protocol of ['tcp', 'udp'] as const) {
    const governed = new Set(policy[role].filter((r) => r.protocol === protocol).map((r) => r.port))
    if (governed.size > 0) rules.push({protocol, dports: [...governed].sort((a, b) => a - b), verdict: 'drop'})
  }
  return rules
}

function set(values: (number | string)[]): string {
  return values.length === 1 ? String(values[0]) : `{ ${values.join(', ')} }`
}

export function nftRuleText(rule: NftRule): string {
  if (rule.fixed === 'loopback') return `iif "lo" ${rule.verdict}`
  if (rule.fixed === 'ct-established') return `ct state established,related ${rule.verdict}`
  const parts: string[] = []
  if (rule.family && rule.saddr) parts.push(`${rule.family} saddr ${set(rule.saddr)}`)
  else if (rule.family) parts.push(`meta nfproto ${rule.family === 'ip' ? 'ipv4' : 'ipv6'}`)
  if (rule.protocol && rule.dports) parts.push(`${rule.protocol} dport ${set(rule.dports)}`)
  parts.push(rule.verdict)
  return parts.join(' ')
}

export function renderNft(policy: FirewallPolicy, role: FirewallRole, proxyAddresses: string[]): NftPlan {
  const rules = nftRules(policy, role, proxyAddresses)
  const text = [
    `# hactl firewall: the ${role}. Made by \`hactl firewall\`; edits here are undone by its next apply.`,
    'table inet hactl {}',
    'delete table inet hactl',
    'table inet hactl {',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    ...rules.map((r) => `    ${nftRuleText(r)}`),
    '  }',
    '}',
    '',
  ].join('\n')
  return {role, rules, text}
}

/** A rule as one comparable line, from the plan or from nft's JSON. */
export function ruleSignature(rule: NftRule): string {
  return nftRuleText({...rule, ...(rule.saddr ? {saddr: [...rule.saddr].sort()} : {}), ...(rule.dports ? {dports: [...rule.dports].sort((a, b) => a - b)} : {})})
}

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

function values(right: Json): (number | string)[] | undefined {
  if (typeof right === 'number' || typeof right === 'string') return [right]
  if (right && typeof right === 'object' && !Array.isArray(right)) {
    if ('set' in right && Array.isArray(right.set)) {
      const out: (number | string)[] = []
      for (const item of right.set) {
        const v = values(item)
        if (!v) return undefined
        out.push(...v)
      }
      return out
    }
    const prefix = right.prefix as {addr?: Json; len?: Json} | undefined
    if (prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number') return [`${prefix.addr}/${prefix.len}`]
    const range = right.range
    if (Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number' && range[1] - range[0] < 64) {
      return Array.from({length: range[1] - range[0] + 1}, (_, i) => (range[0] as number) + i)
    }
  }
  return undefined
}

/**
 * The input chain's rules of a live table, as signatures; a rule hactl would
 * never write comes back as its raw JSON, so it shows as unexpected.
 */
export function liveSignatures(nftJson: string): string[] {
  const doc = JSON.parse(nftJson) as {nftables?: Record<string, Json>[]}
  const out: string[] = []
  for (const item of doc.nftables ?? []) {
    const rule = item.rule as {chain?: string; expr?: Json[]} | undefined
    if (!rule || rule.chain !== 'input') continue
    out.push(signatureOf(rule.expr ?? []))
  }
  return out
}

function signatureOf(expr: Json[]): string {
  const rule: NftRule = {verdict: 'accept'}
  let verdict: string | undefined
  for (const e of expr) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) return `unknown ${JSON.stringify(expr)}`
    if ('accept' in e || 'drop' in e) {
      verdict = 'accept' in e ? 'accept' : 'drop'
      continue
    }
    const match = e.match as {left?: Record<string, Record<string, Json>>; op?: string; right?: Json} | undefined
    const left = match?.left
    if (!match || !left || (match.op !== '==' && match.op !== 'in')) return `unknown ${JSON.stringify(expr)}`
    if (left.meta && (left.meta.key === 'iif' || left.meta.key === 'iifname') && match.right === 'lo') rule.fixed = 'loopback'
    else if (left.ct?.key === 'state') rule.fixed = 'ct-established'
    else if (left.meta?.key === 'nfproto' && (match.right === 'ipv4' || match.right === 'ipv6')) rule.family = match.right === 'ipv4' ? 'ip' : 'ip6'
    else if (left.payload && (left.payload.protocol === 'ip' || left.payload.protocol === 'ip6') && left.payload.field === 'saddr') {
      const v = values(match.right ?? null)
      if (!v) return `unknown ${JSON.stringify(expr)}`
      rule.family = left.payload.protocol
      rule.saddr = v.map(String)
    } else if (left.payload && (left.payload.protocol === 'tcp' || left.payload.protocol === 'udp') && left.payload.field === 'dport') {
      const v = values(match.right ?? null)
      if (!v || v.some((p) => typeof p !== 'number')) return `unknown ${JSON.stringify(expr)}`
      rule.protocol = left.payload.protocol
      rule.dports = v as number[]
    } else return `unknown ${JSON.stringify(expr)}`
  }
  if (!verdict) return `unknown ${JSON.stringify(expr)}`
  rule.verdict = verdict as NftRule['verdict']
  return ruleSignature(rule)
}

export interface NftDifference {
  kind: 'missing' | 'order' | 'unexpected'
  rule: string
}

/** What differs between the planned rules and the live ones; empty when the host enforces exactly the plan. */
export function compareNft(plan: NftPlan, live: string[]): NftDifference[] {
  const wanted = plan.rules.map(ruleSignature)
  const out: NftDifference[] = []
  const remaining = [...live]
  for (const w of wanted) {
    const i = remaining.indexOf(w)
    if (i < 0) out.push({kind: 'missing', rule: w})
    else remaining.splice(i, 1)
  }
  for (const r of remaining) out.push({kind: 'unexpected', rule: r})
  if (out.length === 0 && wanted.some((w, i) => w !== live[i])) out.push({kind: 'order', rule: 'the rules are all there but in another order (a drop may come before an accept)'})
  return out
}
