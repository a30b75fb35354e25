/**
 * `hactl firewall plan|apply|audit`: the policy from the cluster file and
 * the proxy config, the state from the cluster's Firewall capability, and
 * the pure planner and audit between them.
 */
import {isIP} from 'node:net'

import type {Cluster} from '../cluster/loader.js'
import type {Firewall, FirewallOperation, FirewallState} from '../cloud/firewall.js'
import {firewallFor} from '../cloud/firewalls.js'
import {UsageError} from '../errors.js'
import {auditFirewall, type AuditResult} from '../firewall/audit.js'
import {renderNft} from '../firewall/nftables.js'
import {describeFirewallOperation, planFirewallOperations} from '../firewall/planner.js'
import {firewallPolicy, type FirewallPolicy, type FirewallRole} from '../firewall/policy.js'
import {displayPath, loadConfig} from './config-source.js'
import type {CloudServiceOptions, DryRunReport} from './cloud.js'
import type {NftHostResult} from './firewall-nft.js'

export interface FirewallServiceOptions extends CloudServiceOptions {
  /** Injected (tests); otherwise the cluster's firewall capability. */
  firewall?: Firewall
  /** provider static: hosts loaded at once (default 10). */
  concurrency?: number
}

export interface PlannedOperation {
  op: FirewallOperation['op']
  role: FirewallOperation['role']
  text: string
  calls: string[]
}

export interface NftTable {
  role: FirewallRole
  /** The hosts the table is for: the cluster's hosts, or the backends the proxy config names. */
  hosts: string[]
  /** For `nft -f`: replaces table inet hactl in one transaction. */
  text: string
}

export interface FirewallPlanReport {
  /** false when the cloud already matches the policy. */
  changed: boolean
  summary: string
  operations: PlannedOperation[]
  backendPorts: FirewallPolicy['backendPorts']
  dryRun?: DryRunReport
  /** provider static: the nftables table of each role, in place of cloud operations. */
  nftables?: NftTable[]
  /** provider static, a real apply: what happened on each host. */
  hosts?: NftHostResult[]
}

/** The policy: the cluster file's `firewall:` and every server port of the proxy config. */
export async function loadFirewallPolicy(cluster: Cluster): Promise<FirewallPolicy> {
  const file = cluster.spec.proxy.config
  const {doc, engine, source} = await loadConfig({path: file, display: displayPath(file), origin: 'cluster', engineName: cluster.spec.proxy.engine})
  return firewallPolicy(cluster.spec, engine.listBackends(doc), source.display)
}

async function observe(options: FirewallServiceOptions): Promise<{firewall: Firewall; policy: FirewallPolicy; state: FirewallState}> {
  const policy = await loadFirewallPolicy(options.cluster)
  const firewall = options.firewall ?? (await firewallFor(options.cluster))
  const state = await firewall.observe({backendNames: policy.backendNames, backendAddresses: policy.backendAddresses})
  return {firewall, policy, state}
}

function report(firewall: Firewall, policy: FirewallPolicy, operations: FirewallOperation[], done: boolean): FirewallPlanReport {
  const planned = operations.map((o) => ({op: o.op, role: o.role, text: describeFirewallOperation(o), calls: firewall.explain(o)}))
  const summary =
    operations.length === 0 ? 'the firewall already matches the policy: nothing to change' : `${done ? 'made' : 'would make'} ${operations.length} change${operations.length === 1 ? '' : 's'}`
  return {changed: operations.length > 0, summary, operations: planned, backendPorts: policy.backendPorts}
}

/**
 * provider static: the table each role's hosts get. The proxies' addresses
 * are the only sources the backends accept, so they must be IP addresses.
 */
export function nftTables(cluster: Cluster, policy: FirewallPolicy): NftTable[] {
  const proxies = cluster.spec.hosts
  const named = proxies.filter((h) => isIP(h.address) === 0)
  if (named.length > 0) {
    throw new UsageError(`the firewall needs the proxies' IP addresses: ${named.map((h) => `${h.name} (${h.address})`).join(', ')} ${named.length === 1 ? 'is' : 'are'} written as a name`, {
      actions: [`Write hosts[].address as an IP address in ${cluster.file}.`],
    })
  }
  const addresses = proxies.map((h) => h.address)
  return [
    {role: 'proxies', hosts: proxies.map((h) => h.name), text: renderNft(policy, 'proxies', addresses).text},
    {role: 'backends', hosts: policy.backendAddresses, text: renderNft(policy, 'backends', addresses).text},
  ]
}

async function auditCloud(options: FirewallServiceOptions): Promise<AuditResult> {
  const {policy, state} = await observe(options)
  return auditFirewall(policy, state)
}

async function auditStatic(cluster: Cluster): Promise<AuditResult> {
  const policy = await loadFirewallPolicy(cluster)
  // Refuses proxies written by name before any host is contacted, as plan does.
  nftTables(cluster, policy)
  const {auditNftables} = await import('./firewall-nft.js')
  return auditNftables(cluster, policy, cluster.spec.hosts.map((h) => h.address))
}

async function applyStatic(options: FirewallServiceOptions): Promise<FirewallPlanReport> {
  const {cluster} = options
  const policy = await loadFirewallPolicy(cluster)
  const nftables = nftTables(cluster, policy)
  const {applyNftables} = await import('./firewall-nft.js')
  const hosts = await applyNftables(cluster, policy, cluster.spec.hosts.map((h) => h.address), {
    concurrency: options.concurrency,
    report: (r) =>
      options.reporter.emit({level: r.status === 'updated' || r.status === 'unchanged' ? 'info' : 'error', code: `firewall.${r.status}`, subject: r.host, message: `${r.status}: ${r.detail}`}),
  })
  const changed = hosts.filter((h) => h.status === 'updated').length
  const failed = hosts.filter((h) => h.status !== 'updated' && h.status !== 'unchanged')
  const summary = `${changed} of ${hosts.length} host${hosts.length === 1 ? '' : 's'} updated${failed.length > 0 ? `; ${failed.map((h) => `${h.host} ${h.status}`).join(', ')}` : ''}`
  return {changed: changed > 0, summary, operations: [], backendPorts: policy.backendPorts, nftables, hosts}
}

/** What apply would do, changing nothing; with checkPermissions, EC2's DryRun answer for each call. */
export async function planFirewall(options: FirewallServiceOptions): Promise<FirewallPlanReport> {
  if (options.cluster.spec.provider === 'static' && !options.firewall) {
    const policy = await loadFirewallPolicy(options.cluster)
    const nftables = nftTables(options.cluster, policy)
    return {changed: false, summary: `nftables: ${nftables.length} tables, one per role`, operations: [], backendPorts: policy.backendPorts, nftables}
  }
  const {firewall, policy, state} = await observe(options)
  const operations = planFirewallOperations(policy, state)
  const out = report(firewall, policy, operations, false)
  const calls = out.operations.flatMap((o) => o.calls)
  const permissions = options.checkPermissions && firewall.checkPermissions ? await firewall.checkPermissions(operations) : undefined
  return {...out, changed: false, dryRun: {calls, ...(permissions ? {permissions} : {})}}
}

export async function applyFirewall(options: FirewallServiceOptions): Promise<FirewallPlanReport> {
  if (options.dryRun) return planFirewall(options)
  if (options.cluster.spec.provider === 'static' && !options.firewall) return applyStatic(options)
  const {firewall, policy, state} = await observe(options)
  const operations = planFirewallOperations(policy, state)
  // One at a time, each reported once made: a failure part way leaves a record of what is done, and a re-run finishes it.
  for (const o of operations) {
    await firewall.apply([o])
    options.reporter.emit({level: 'info', code: `firewall.${o.op}`, message: describeFirewallOperation(o)})
  }
  return report(firewall, policy, operations, true)
}

export interface FirewallAuditReport extends AuditResult {
  ok: boolean
  summary: string
}

export async function auditFirewallState(options: FirewallServiceOptions): Promise<FirewallAuditReport> {
  const result = options.cluster.spec.provider === 'static' && !options.firewall ? await auditStatic(options.cluster) : await auditCloud(options)
  const {backends, proxies} = result.checked
  const ok = result.findings.length === 0
  const summary = ok
    ? `no findings: ${proxies} prox${proxies === 1 ? 'y' : 'ies'} and ${backends} backend${backends === 1 ? '' : 's'} checked`
    : `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} on ${proxies} prox${proxies === 1 ? 'y' : 'ies'} and ${backends} backend${backends === 1 ? '' : 's'}`
  return {...result, ok, summary}
}
