import {Args} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {attachEip, type MutationReport} from '../../services/eip.js'

export default class EipAttach extends CloudCommand<typeof EipAttach> {
  static override summary = 'Attach a pool address to a proxy (moving it if it is on another one).'
  static override examples = ['<%= config.bin %> <%= command.id %> 203.0.113.10 i-0abc123', '<%= config.bin %> <%= command.id %> eipalloc-0123 i-0abc123 --dry-run']
  static override args = {
    eip: Args.string({description: 'Public IP or allocation id.', required: true}),
    instance: Args.string({description: 'Instance id (or Name tag) of a proxy of the cluster.', required: true}),
  }

  static override flags = {'check-permissions': checkPermissionsFlag}

  public async run(): Promise<MutationReport> {
    const report = await attachEip({...(await this.cloudOptions()), eip: this.args.eip, instance: this.args.instance})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code)
  }
}
