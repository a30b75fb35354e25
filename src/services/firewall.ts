/**
 * `hactl firewall plan|apply|audit`: the policy from the cluster file and
 * the proxy config, the state from the cluster's Firewall capability, and
 * the pure planner and audit between them.
 */
import type {Cluster} from '../cluster/loader.js'
import {firewallFor, type Firewall, type FirewallOperation, type FirewallState} from '../cloud/firewall.js'
import {auditFirewall, type AuditResult} from '../firewall/audit.js'
import {describeFirewallOperation, planFirewallOperations} from '../firewall/planner.js'
import {firewallPolicy, type FirewallPolicy} from '../firewall/policy.js'
import {displayPath, loadConfig} from './config-source.js'
import type {CloudServiceOptions, DryRunReport} from './cloud.js'

export interface FirewallServiceOptions extends CloudServiceOptions {
  /** Injected (tests); otherwise the cluster's firewall capability. */
  firewall?: Firewall
}

export interface PlannedOperation {
  op: FirewallOperation['op']
  role: FirewallOperation['role']
  text: string
  calls: string[]
}

export interface FirewallPlanReport {
  /** false when the cloud already matches the policy. */
  changed: boolean
  summary: string
  operations: PlannedOperation[]
  backendPorts: FirewallPolicy['backendPorts']
  dryRun?: DryRunReport
}

/** The policy: the cluster file's `firewall:` and every server port of the proxy config. */
export async function loadFirewallPolicy(cluster: Cluster): Promise<FirewallPolicy> {
  const file = cluster.spec.proxy.config
  const {doc, engine, source} = await loadConfig({path: file, display: displayPath(file), origin: 'cluster', engineName: cluster.spec.proxy.engine})
  return firewallPolicy(cluster.spec, engine.listBackends(doc), source.display)
}

async function observe(options: FirewallServiceOptions): Promise<{firewall: Firewall; policy: FirewallPolicy; state: FirewallState}> {
  const policy = await loadFirewallPolicy(options.cluster)
  const firewall = options.firewall ?? (await firewallFor(options.cluster, {profile: options.profile, region: options.region}))
  const state = await firewall.observe({backendNames: policy.backendNames, backendAddresses: policy.backendAddresses})
  return {firewall, policy, state}
}

function report(firewall: Firewall, policy: FirewallPolicy, operations: FirewallOperation[], done: boolean): FirewallPlanReport {
  const planned = operations.map((o) => ({op: o.op, role: o.role, text: describeFirewallOperation(o), calls: firewall.explain(o)}))
  const summary =
    operations.length === 0 ? 'the firewall already matches the policy: nothing to change' : `${done ? 'made' : 'would make'} ${operations.length} change${operations.length === 1 ? '' : 's'}`
  return {changed: operations.length > 0, summary, operations: planned, backendPorts: policy.backendPorts}
}

/** What apply would do, changing nothing; with checkPermissions, EC2's DryRun answer for each call. */
export async function planFirewall(options: FirewallServiceOptions): Promise<FirewallPlanReport> {
  const {firewall, policy, state} = await observe(options)
  const operations = planFirewallOperations(policy, state)
  const out = report(firewall, policy, operations, false)
  const calls = out.operations.flatMap((o) => o.calls)
  const permissions = options.checkPermissions && firewall.checkPermissions ? await firewall.checkPermissions(operations) : undefined
  return {...out, changed: false, dryRun: {calls, ...(permissions ? {permissions} : {})}}
}

export async function applyFirewall(options: FirewallServiceOptions): Promise<FirewallPlanReport> {
  if (options.dryRun) return planFirewall(options)
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
  const {policy, state} = await observe(options)
  const result = auditFirewall(policy, state)
  const {backends, proxies} = result.checked
  const ok = result.findings.length === 0
  const summary = ok
    ? `no findings: ${proxies} prox${proxies === 1 ? 'y' : 'ies'} and ${backends} backend${backends === 1 ? '' : 's'} checked`
    : `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} on ${proxies} prox${proxies === 1 ? 'y' : 'ies'} and ${backends} backend${backends === 1 ? '' : 's'}`
  return {...result, ok, summary}
}
