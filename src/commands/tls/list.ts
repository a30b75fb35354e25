import {HactlCommand} from '../../base-command.js'
import {sourceFlags, sourceOptions} from '../../command-support/config-flags.js'
import {listTls, type TlsCertificate, type TlsListing} from '../../services/tls.js'
import {renderTable} from '../../ui/table.js'

export default class TlsList extends HactlCommand<typeof TlsList> {
  static override summary = 'List the certificates kept beside the config.'
  static override description = `One line per certificate in hactl-tls/: name, the hosts it serves, when it expires, its SHA-256
fingerprint and the frontends or server blocks that serve it. \`hactl tls check\` shows on which proxies it is live.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  static override flags = {...sourceFlags}

  public async run(): Promise<TlsListing> {
    const result = await listTls(sourceOptions(this.flags))
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
        ],
        this.terminal,
      ),
    )
    return result
  }
}
