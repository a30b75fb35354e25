import {Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {allocateEips, type AllocateReport} from '../../services/eip.js'

export default class EipAllocate extends CloudCommand<typeof EipAllocate> {
  static override summary = 'Bring the Elastic IP pool to N addresses, tagged for the cluster.'
  static override description = `Allocates only the missing addresses (never releases). Attach them with \`eip rebalance\`,
then publish them with \`dns publish\`.

With topology pairs: one address per pair (addresses.count pairs), tagged hactl:pair=pair-N; an address of
the cluster that has no pair yet becomes a pair's address before a new one is allocated; each is attached to
a healthy member of its pair. Exits 5 when a pair has no healthy member to take its address.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --count 4 --dry-run']
  static override flags = {
    count: Flags.integer({summary: 'Addresses the pool should have (default: addresses.count).', min: 1}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<AllocateReport> {
    const report = await allocateEips({...(await this.cloudOptions()), count: this.flags.count})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    for (const a of report.allocated) this.log(`${a.publicIp}\t${a.allocationId}${a.tags['hactl:pair'] ? `\t${a.tags['hactl:pair']}` : ''}`)
    for (const why of report.unattached ?? []) this.warn(why)
    return this.finish(report, code === ExitCode.ok && (report.unattached ?? []).length > 0 ? ExitCode.unhealthy : code)
  }
}
