import {CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {auditFirewallState, type FirewallAuditReport} from '../../services/firewall.js'

export default class FirewallAudit extends CloudCommand<typeof FirewallAudit> {
  static override summary = 'Check the real security groups: backends reachable only from the proxies, proxies open only as the policy says.'
  static override description = `Reads every group on the proxies and the backends (tagged, or named by address in the proxy config),
whoever made it, and reports: a backend port reachable from anything but the proxies' group, a proxy port or
source outside the policy, SSH open to the world. Each finding names the group and the rule. Exits 5 when
there is any finding, 0 when none. With provider static it reads table inet hactl on every proxy and backend
over SSH and reports each rule that differs from the plan (nft-missing, nft-differs, unreachable).`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<FirewallAuditReport> {
    const report = await auditFirewallState(await this.cloudOptions())
    for (const f of report.findings) {
      this.log(`${f.kind}: ${f.groupId} (${f.groupName}) ${f.rule}: ${f.detail} [${f.instances.join(', ')}]`)
    }
    this.log(report.summary)
    return this.finish(report, report.ok ? ExitCode.ok : ExitCode.unhealthy)
  }
}
