import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {checkTls, type TlsCheckReport, type TlsProbeResult} from '../../services/tls.js'
import {renderTable} from '../../ui/table.js'

export default class TlsCheck extends HactlCommand<typeof TlsCheck> {
  static override summary = 'Check that every proxy serves the certificates of the source.'
  static override description = `Connects to every proxy's HTTPS port with SNI for each host of each certificate and compares the
certificate served with the one in hactl-tls/. Exits 5 when a proxy serves another certificate or none, or when a
certificate expires within tls.warnDays (21 unless the cluster file says otherwise).`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --hosts proxy-1 --json']

  static override flags = {
    hosts: Flags.string({summary: 'Only these proxies (comma-separated names).', helpValue: 'p1,p2'}),
  }

  public async run(): Promise<TlsCheckReport> {
    const report = await checkTls({cluster: await this.cluster(), hosts: this.flags.hosts?.split(',').map((h) => h.trim()).filter(Boolean)})
    this.log(
      renderTable<TlsProbeResult>(
        report.probes,
        [
          {header: 'certificate', get: (p) => p.certificate},
          {header: 'host', get: (p) => p.host},
          {header: 'proxy', get: (p) => p.proxy},
          {header: 'address', get: (p) => `${p.address}:${p.port}`},
          {header: 'status', get: (p) => p.status},
          {header: 'detail', get: (p) => p.message ?? p.notAfter?.slice(0, 10)},
        ],
        this.terminal,
      ),
    )
    for (const c of report.certificates) if (c.problem) this.warn(`${c.name}: ${c.problem}`)
    if (report.certificates.length === 0) this.log('no certificates in hactl-tls/ beside the config')
    return this.finish(report, report.exitCode)
  }
}
