import {Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {publishDns, type DnsReport} from '../../services/dns.js'

export default class DnsPublish extends CloudCommand<typeof DnsPublish> {
  static override summary = 'Make the DNS A record list exactly the pool addresses.'
  static override description = `Reads the record first and writes only when it differs (one UPSERT of dns.name with dns.ttl), then
waits until Route 53 reports INSYNC and reads the record back. Never publishes an empty set. Takes the
cluster's moves lock, like \`eip allocate|release\` and the monitor, so it never publishes a pool that is
being changed. Exits 5 when a listed address is attached to no proxy.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --no-wait', '<%= config.bin %> <%= command.id %> --dry-run']
  static override flags = {
    wait: Flags.boolean({summary: 'Wait until the change is in sync.', allowNo: true, default: true}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<DnsReport> {
    const report = await publishDns({...(await this.cloudOptions()), wait: this.flags.wait})
    const code = this.showDryRun(report.dryRun)
    for (const note of report.notes) this.log(note)
    if (report.changed) this.log(`published ${report.name} A ${report.expected.join(' ')} (ttl ${report.ttl})`)
    const {problems} = report
    for (const problem of problems) this.reporter.emit({level: 'warn', code: 'dns.unattached', message: problem})
    return this.finish(report, code === ExitCode.ok && problems.length > 0 ? ExitCode.unhealthy : code)
  }
}
