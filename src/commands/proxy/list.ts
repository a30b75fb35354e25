import {CloudCommand} from '../../command-support/cloud-command.js'
import {listProxyRows, type ProxyRow} from '../../services/proxy.js'
import {renderTable} from '../../ui/table.js'

export default class ProxyList extends CloudCommand<typeof ProxyList> {
  static override summary = 'List the proxy instances: pair (topology pairs), zone, state, addresses and the EIPs each holds (topology nlb: its state as a target of the balancer).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<{proxies: ProxyRow[]}> {
    const proxies = await listProxyRows(await this.cloudOptions())
    const pairs = proxies.some((p) => p.pair !== undefined)
    // topology nlb: no Elastic IPs; each proxy's state as the balancer's own checks see it instead.
    const targets = proxies.some((p) => p.target !== undefined)
    const table = renderTable(
      proxies,
      [
        {header: 'id', get: (p) => p.id},
        ...(pairs ? [{header: 'pair', get: (p: ProxyRow) => p.pair}] : []),
        {header: 'zone', get: (p) => p.zone},
        {header: 'state', get: (p) => p.state},
        {header: 'private ip', get: (p) => p.privateIp},
        {header: 'public ip', get: (p) => p.publicIp},
        ...(targets
          ? [{header: 'target', get: (p: ProxyRow) => (p.target ? `${p.target.state}${p.target.reason ? ` (${p.target.reason})` : ''}` : undefined)}]
          : [{header: 'eips', get: (p: ProxyRow) => p.eips.join(',') || undefined}]),
      ],
      this.terminal,
    )
    if (table) this.log(table)
    return {proxies}
  }
}
