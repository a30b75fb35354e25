import {Args, Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {attachEip, type AttachReport} from '../../services/eip.js'

export default class EipAttach extends CloudCommand<typeof EipAttach> {
  static override summary = 'Attach a pool address to a proxy (moving it if it is on another one).'
  static override description = `The target is health-checked first (health.proxy): one that is not healthy is refused (exit 2,
saying what the check saw) unless --force. An address left on a proxy that is not healthy exits 5.
Takes the cluster's moves lock, so it never crosses the monitor or a failover.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 203.0.113.10 web-proxy-us-east-1a-1',
    '<%= config.bin %> <%= command.id %> eipalloc-0123 i-0abc123 --dry-run',
  ]

  static override args = {
    eip: Args.string({description: 'Public IP or allocation id.', required: true}),
    instance: Args.string({description: 'Instance id (or Name tag) of a proxy of the cluster.', required: true}),
  }

  static override flags = {
    force: Flags.boolean({summary: 'Attach even when the proxy fails its health check.'}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<AttachReport> {
    const report = await attachEip({...(await this.cloudOptions()), eip: this.args.eip, instance: this.args.instance, force: this.flags.force})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code === ExitCode.ok && report.unhealthy ? ExitCode.unhealthy : code)
  }
}
