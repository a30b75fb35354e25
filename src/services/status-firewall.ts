/**
 * The firewall line of `hactl status`: the audit's result in one line, or
 * nothing when the cluster file has no `firewall:` policy. Bounded in time:
 * SSH (static hosts) gets short timeouts here, and status stops waiting
 * after STATUS_AUDIT_BUDGET_MS whatever the audit is doing.
 */
import type {Cluster} from '../cluster/loader.js'
import {silentReporter} from '../events.js'
import {auditFirewallState} from './firewall.js'

export const STATUS_AUDIT_BUDGET_MS = 4000
/** Per SSH connection and command during status: a host that does not answer by then is reported, not waited for. */
const STATUS_SSH_TIMEOUT_MS = 1500

export interface FirewallStatus {
  /** `not-checked`: the audit failed or did not finish in time; `summary` says which. */
  state: 'findings' | 'not-checked' | 'ok'
  findings: number
  /** The finding kinds and how many of each. */
  kinds: Record<string, number>
  summary: string
}

export async function firewallStatus(cluster: Cluster, options: {budgetMs?: number} = {}): Promise<FirewallStatus | undefined> {
  if (!cluster.spec.firewall) return undefined
  const {spec} = cluster
  const quick: Cluster = {
    ...cluster,
    spec: {...spec, ssh: {...spec.ssh, connectTimeout: Math.min(spec.ssh.connectTimeout, STATUS_SSH_TIMEOUT_MS), commandTimeout: Math.min(spec.ssh.commandTimeout, STATUS_SSH_TIMEOUT_MS)}},
  }
  const budgetMs = options.budgetMs ?? STATUS_AUDIT_BUDGET_MS
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<FirewallStatus>((resolve) => {
    timer = setTimeout(() => resolve(notChecked(`the audit did not finish within ${budgetMs / 1000} s`)), budgetMs)
    timer.unref()
  })
  const audit = auditFirewallState({cluster: quick, reporter: silentReporter}).then(
    (report): FirewallStatus => {
      const kinds: Record<string, number> = {}
      for (const f of report.findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1
      return {state: report.ok ? 'ok' : 'findings', findings: report.findings.length, kinds, summary: report.summary}
    },
    (error: Error) => notChecked(error.message.split('\n')[0]),
  )
  try {
    return await Promise.race([audit, late])
  } finally {
    clearTimeout(timer)
  }
}

function notChecked(why: string): FirewallStatus {
  return {state: 'not-checked', findings: 0, kinds: {}, summary: why}
}
