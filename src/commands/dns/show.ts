import {CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {showDns, type DnsReport} from '../../services/dns.js'

export default class DnsShow extends CloudCommand<typeof DnsShow> {
  static override summary = 'Show the live DNS record against the pool; exit 5 on drift.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<DnsReport> {
    const report = await showDns(await this.cloudOptions())
    this.log(`${report.name} A (ttl ${report.liveTtl ?? '-'}, want ${report.ttl})`)
    const all = [...new Set([...report.live, ...report.expected])].sort()
    for (const ip of all) {
      const mark = report.missing.includes(ip) ? '+ missing ' : report.extra.includes(ip) ? '- extra   ' : '  '
      this.log(`${mark}${ip}`)
    }
    if (report.drift) for (const note of report.notes) this.log(note)
    this.log(report.drift ? 'drift: run `hactl dns publish`' : 'in sync with the pool')
    return this.finish(report, report.drift ? ExitCode.unhealthy : ExitCode.ok)
  }
}
