import {Args} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sandboxOpen, type OpenResult} from '../../sandbox/firewall.js'

export default class SandboxOpen extends HactlCommand<typeof SandboxOpen> {
  static override summary = "Open a demo backend to everyone, as a security group added by hand would: a hole for `hactl firewall audit` to find."
  static override description = `Attaches a group that is not hactl's ("open-to-the-world": the backend's port from 0.0.0.0/0) to the
backend, so any address on this machine reaches it, not only the proxies. \`hactl firewall apply\` leaves it alone (it
never removes what it did not make); \`hactl sandbox close\` takes it off again.`

  static override examples = ['<%= config.bin %> <%= command.id %> web1', '<%= config.bin %> firewall audit    # exit 5: backend-open on web1']
  static override args = {backend: Args.string({description: 'Demo backend name (web1), address or address:port.', required: true})}

  public async run(): Promise<OpenResult> {
    const result = await sandboxOpen(await this.cluster(), this.args.backend, true, this.flags['dry-run'])
    const what = `${result.backend} (${result.address}:${result.port})`
    this.log(!result.changed ? `${what} is already open to everyone: nothing changed` : `${this.flags['dry-run'] ? 'would open' : 'opened'} ${what} to everyone (group open-to-the-world)`)
    return result
  }
}
