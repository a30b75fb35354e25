import {CloudCommand} from '../../command-support/cloud-command.js'
import {listEips, type AddressRow} from '../../services/eip.js'
import {renderTable} from '../../ui/table.js'

export default class EipList extends CloudCommand<typeof EipList> {
  static override summary = 'List the pool: address, pair (topology pairs), allocation id, holder, zone of the holder, in DNS or not.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<{addresses: AddressRow[]}> {
    const addresses = await listEips(await this.cloudOptions())
    const table = renderTable(
      addresses,
      [
        {header: 'address', get: (a) => a.address},
        ...(addresses.some((a) => a.pair !== undefined) ? [{header: 'pair', get: (a: AddressRow) => a.pair}] : []),
        {header: 'allocation id', get: (a) => a.allocationId},
        // By name on a terminal; piped, the id, for scripts.
        {header: 'holder', get: (a) => (this.terminal.tty ? a.holderName : a.holder)},
        {header: 'zone', get: (a) => a.zone},
        {header: 'in dns', get: (a) => (a.inDns === undefined ? undefined : a.inDns ? 'yes' : 'no')},
      ],
      this.terminal,
    )
    if (table) this.log(table)
    return {addresses}
  }
}
