import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {rebalanceEips, type FailoverReport} from '../../services/eip.js'
import {renderFailover} from './failover.js'

export default class EipRebalance extends CloudCommand<typeof EipRebalance> {
  static override summary = 'Spread the pool: one EIP per healthy proxy where possible, over zones, moving as few as it can.'
  static override description =
    'Also attaches unattached pool addresses (no remap: it spends no budget). Proxies in their hold-down get none yet: it says until when. Exits 5 when an address cannot be put on a healthy proxy.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --dry-run']
  static override flags = {'check-permissions': checkPermissionsFlag}

  public async run(): Promise<FailoverReport> {
    const report = await rebalanceEips(await this.cloudOptions())
    const code = this.showDryRun(report.dryRun)
    renderFailover(report, (line) => this.log(line))
    return this.finish(report, code === ExitCode.ok && !report.ok ? ExitCode.unhealthy : code)
  }
}
