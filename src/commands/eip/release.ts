import {Args, Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {releaseEip, type ReleaseReport} from '../../services/eip.js'

export default class EipRelease extends CloudCommand<typeof EipRelease> {
  static override summary = 'Release a pool address; refuses while the DNS record lists it unless --force.'
  static override description = `With --force, an address the DNS record lists is released and the record is republished without it
in the same step (never empty: with no address left the record is kept, and the command exits 5).
Takes the cluster's moves lock, like \`dns publish\` and the monitor, so the two never cross.`

  static override examples = ['<%= config.bin %> <%= command.id %> 203.0.113.10', '<%= config.bin %> <%= command.id %> eipalloc-0123 --force']
  static override args = {eip: Args.string({description: 'Public IP or allocation id.', required: true})}
  static override flags = {
    force: Flags.boolean({summary: 'Release it even though the DNS record lists it, and republish the record without it.'}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<ReleaseReport> {
    const report = await releaseEip({...(await this.cloudOptions()), eip: this.args.eip, force: this.flags.force})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code === ExitCode.ok && report.stale ? ExitCode.unhealthy : code)
  }
}
