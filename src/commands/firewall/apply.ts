import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {applyFirewall, type FirewallPlanReport} from '../../services/firewall.js'

export default class FirewallApply extends CloudCommand<typeof FirewallApply> {
  static override summary = 'Make the security groups match the firewall policy and attach them to the proxies and backends.'
  static override description = `Creates the proxies' and the backends' groups (tagged hactl:cluster), adds the missing rules, adds the groups
to the tagged instances (keeping their other groups), and revokes the rules hactl made that the policy no longer
has. Rules hactl did not make are never touched: \`hactl firewall audit\` reports them. A re-run changes nothing.

With provider static it loads the nftables table of each role on its hosts over SSH, one host at a time: nft -c
first (exit 3 when refused), then a new SSH connection must still answer, else the table before is restored
(exit 4).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --dry-run --check-permissions',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  static override flags = {'check-permissions': checkPermissionsFlag}

  public async run(): Promise<FirewallPlanReport> {
    const report = await applyFirewall(await this.cloudOptions())
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

/** Static hosts: 3 when nft refused a table, 4 when a host was rolled back or not reached. */
function hostsExit(report: FirewallPlanReport): number {
  const hosts = report.hosts ?? []
  if (hosts.some((h) => h.status === 'rejected')) return ExitCode.rejected
  if (hosts.some((h) => h.status === 'rolled-back' || h.status === 'unreachable')) return ExitCode.partial
  return ExitCode.ok
}
