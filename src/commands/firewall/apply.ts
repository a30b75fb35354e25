import {Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {applyFirewall, type FirewallPlanReport} from '../../services/firewall.js'

export default class FirewallApply extends CloudCommand<typeof FirewallApply> {
  static override summary = 'Make the security groups match the firewall policy and attach them to the proxies and backends.'
  static override description = `Creates the proxies' and the backends' groups (tagged hactl:cluster), adds the missing rules, adds the groups
to the tagged instances (keeping their other groups), and revokes the rules hactl made that the policy no longer
has. Rules hactl did not make are never touched: \`hactl firewall audit\` reports them. A re-run changes nothing.

With provider static it loads the nftables table of each role on its hosts over SSH, --concurrency hosts at once,
each under the lock a config push takes there (exit 6 when held): nft -c first (exit 3 when refused and nothing
changed), then a new SSH connection must still answer, else the table before is restored (exit 4).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --dry-run --check-permissions',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  static override flags = {
    'check-permissions': checkPermissionsFlag,
    concurrency: Flags.integer({summary: 'provider static: hosts worked on at once.', default: 10, min: 1}),
  }

  public async run(): Promise<FirewallPlanReport> {
    const report = await applyFirewall({...(await this.cloudOptions()), concurrency: this.flags.concurrency})
    // A real apply on static hosts reports per host (stderr); printing the tables again would bury that.
    if (!report.hosts) renderFirewallPlan(report, (line) => this.log(line))
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code === ExitCode.ok ? hostsExit(report) : code)
  }
}

export function renderFirewallPlan(report: FirewallPlanReport, log: (line: string) => void): void {
  // The exact calls follow (showDryRun); these lines say what each change is for. A real run reports each change as it is made.
  if (report.dryRun) for (const o of report.operations) log(`plan: ${o.text}`)
  for (const t of report.nftables ?? []) {
    log(`# table inet hactl for the ${t.role}: ${t.hosts.join(', ') || '(none)'}`)
    log(t.text)
  }
}

/**
 * Static hosts, as a config push: 3 when nft refused the table and no host
 * changed, 6 when the only failures were locks held, else 4 for any failure.
 */
function hostsExit(report: FirewallPlanReport): number {
  const hosts = report.hosts ?? []
  const failed = hosts.filter((h) => h.status !== 'updated' && h.status !== 'unchanged')
  if (failed.length === 0) return ExitCode.ok
  const changed = hosts.some((h) => h.status === 'updated')
  if (!changed && failed.every((h) => h.status === 'rejected')) return ExitCode.rejected
  if (failed.every((h) => h.status === 'busy')) return ExitCode.busy
  return ExitCode.partial
}
