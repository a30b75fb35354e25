import {Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {publishDns, type DnsReport} from '../../services/dns.js'

export default class DnsPublish extends CloudCommand<typeof DnsPublish> {
  static override summary = 'Make the DNS A record list exactly the pool addresses.'
  static override description = `Reads the record first and writes only when it differs, in one atomic change guarded by what it read
(dns.provider route53: one change batch, then waits until Route 53 reports INSYNC; rfc2136: one TSIG-signed
UPDATE with prerequisites, then a query; local: the sandbox's server). Reads the record back. Never
publishes an empty set. A change made by someone else in between is refused (exit 6). Takes the cluster's
moves lock, like \`eip allocate|release\` and the monitor. Exits 5 when a listed address is attached to no
proxy. --dry-run prints exactly what would be sent (for rfc2136, as nsupdate commands, without the secret).

With topology nlb the record points at the load balancer instead: an alias A record to the NLB in Route 53
(with the NLB's canonical hosted zone; Route 53 answers with its addresses), an A record to the balancer's
address when it has one (the sandbox's), else a CNAME to its DNS name where the provider writes CNAMEs.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --no-wait', '<%= config.bin %> <%= command.id %> --dry-run']
  static override flags = {
    wait: Flags.boolean({summary: 'Wait until the change is in sync.', allowNo: true, default: true}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<DnsReport> {
    const report = await publishDns({...(await this.cloudOptions()), wait: this.flags.wait})
    // An RFC 2136 update is one message: shown as the nsupdate script that sends it, not as API calls.
    const code = report.provider === 'rfc2136' && report.dryRun ? this.showUpdate(report.dryRun.calls) : this.showDryRun(report.dryRun)
    for (const note of report.notes) this.log(note)
    const cname = report.expected.some((v) => v.startsWith('CNAME '))
    const alias = report.expected.some((v) => v.startsWith('ALIAS '))
    if (report.changed) this.log(`published ${report.name} ${cname ? '' : 'A '}${report.expected.join(' ')}${alias ? '' : ` (ttl ${report.ttl})`}`)
    const {problems} = report
    for (const problem of problems) this.reporter.emit({level: 'warn', code: 'dns.unattached', message: problem})
    return this.finish(report, code === ExitCode.ok && problems.length > 0 ? ExitCode.unhealthy : code)
  }

  private showUpdate(lines: string[]): number {
    this.log('would send this update (as nsupdate commands):')
    for (const line of lines) this.log(line)
    return ExitCode.ok
  }
}
