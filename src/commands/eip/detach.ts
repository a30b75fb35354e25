import {Args} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {detachEip, type MutationReport} from '../../services/eip.js'

export default class EipDetach extends CloudCommand<typeof EipDetach> {
  static override summary = 'Detach a pool address from its proxy (the address stays allocated).'
  static override examples = ['<%= config.bin %> <%= command.id %> 203.0.113.10']
  static override args = {eip: Args.string({description: 'Public IP or allocation id.', required: true})}
  static override flags = {'check-permissions': checkPermissionsFlag}

  public async run(): Promise<MutationReport> {
    const report = await detachEip({...(await this.cloudOptions()), eip: this.args.eip})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code)
  }
}
