import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sourceFlags, sourceOptions} from '../../command-support/config-flags.js'
import {liveListing, listTls, type TlsCertificate, type TlsListing} from '../../services/tls.js'
import {renderTable} from '../../ui/table.js'

export default class TlsList extends HactlCommand<typeof TlsList> {
  static override summary = 'List the certificates kept beside the config.'
  static override description = `One line per certificate in hactl-tls/: name, the hosts it serves, when it expires, its SHA-256
fingerprint and the frontends or server blocks that serve it; with --live, the proxies that serve exactly that
certificate now (a TLS handshake with SNI to each, as \`hactl tls check\` does).`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --live', '<%= config.bin %> <%= command.id %> --json']

  static override flags = {
    ...sourceFlags,
    live: Flags.boolean({summary: 'Also show on which proxies each certificate is served now (connects to each).', exclusive: ['file']}),
  }

  public async run(): Promise<TlsListing> {
    const result = this.flags.live ? await liveListing(await this.cluster()) : await listTls(await sourceOptions(this.flags, () => this.cluster()))
    this.log(
      renderTable<TlsCertificate>(
        result.certificates,
        [
          {header: 'name', get: (c) => c.name},
          {header: 'hosts', get: (c) => c.hosts.join(',')},
          {header: 'not after', get: (c) => c.notAfter?.slice(0, 10)},
          {header: 'days', get: (c) => c.daysLeft},
          {header: 'sha256', get: (c) => c.fingerprint},
          {header: 'served by', get: (c) => c.servedBy.join(',') || c.problem},
          ...(this.flags.live ? [{header: 'live on', get: (c: TlsCertificate) => c.live?.join(',') || 'none'}] : []),
        ],
        this.terminal,
      ),
    )
    return result
  }
}
