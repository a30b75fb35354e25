import {Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {allocateEips, type AllocateReport} from '../../services/eip.js'

export default class EipAllocate extends CloudCommand<typeof EipAllocate> {
  static override summary = 'Bring the Elastic IP pool to N addresses, tagged for the cluster.'
  static override description = `Allocates only the missing addresses (never releases). Attach them with \`eip rebalance\`,
then publish them with \`dns publish\`.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --count 4 --dry-run']
  static override flags = {
    count: Flags.integer({summary: 'Addresses the pool should have (default: addresses.count).', min: 1}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<AllocateReport> {
    const report = await allocateEips({...(await this.cloudOptions()), count: this.flags.count})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    for (const a of report.allocated) this.log(`${a.publicIp}\t${a.allocationId}`)
    return this.finish(report, code)
  }
}
