import {CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {showDns, type DnsReport} from '../../services/dns.js'

export default class DnsShow extends CloudCommand<typeof DnsShow> {
  static override summary = 'Show the live DNS record against the pool (topology nlb: the load balancer); exit 5 on drift or when a listed address is attached to nothing.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<DnsReport> {
    const report = await showDns(await this.cloudOptions())
    const alias = report.live.some((v) => v.startsWith('ALIAS ')) || report.expected.some((v) => v.startsWith('ALIAS '))
    // An alias has no TTL of its own: Route 53 answers with the balancer's.
    this.log(alias ? `${report.name} A (alias)` : `${report.name} A (ttl ${report.liveTtl ?? '-'}, want ${report.ttl})`)
    const against = report.points === 'balancer' ? 'the load balancer' : 'the pool'
    const all = [...new Set([...report.live, ...report.expected])].sort()
    for (const ip of all) {
      const mark = report.missing.includes(ip) ? '+ missing ' : report.extra.includes(ip) ? '- extra   ' : '  '
      const why = report.extra.includes(ip) ? (report.points === 'balancer' ? ' (not the load balancer)' : ' (not an address of the pool: released, or never hactl\'s)') : report.unattached.includes(ip) ? ' (attached to no proxy)' : ''
      this.log(`${mark}${ip}${why}`)
    }
    if (report.drift) for (const note of report.notes) this.log(note)
    const {problems} = report
    for (const problem of problems) this.reporter.emit({level: 'warn', code: 'dns.unattached', message: problem})
    this.log(report.drift ? 'drift: run `hactl dns publish`' : problems.length > 0 ? `in sync with ${against}, but not every address serves` : `in sync with ${against}`)
    return this.finish(report, report.drift || problems.length > 0 ? ExitCode.unhealthy : ExitCode.ok)
  }
}
