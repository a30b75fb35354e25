import {Args} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sandboxOpen, type OpenResult} from '../../sandbox/firewall.js'

export default class SandboxClose extends HactlCommand<typeof SandboxClose> {
  static override summary = 'Take the hole `hactl sandbox open` made off a demo backend: only its own groups decide again.'
  static override examples = ['<%= config.bin %> <%= command.id %> web1']
  static override args = {backend: Args.string({description: 'Demo backend name (web1), address or address:port.', required: true})}

  public async run(): Promise<OpenResult> {
    const result = await sandboxOpen(await this.cluster(), this.args.backend, false, this.flags['dry-run'])
    const what = `${result.backend} (${result.address}:${result.port})`
    this.log(!result.changed ? `${what} is not open to everyone: nothing changed` : `${this.flags['dry-run'] ? 'would close' : 'closed'} ${what}: only its groups decide again`)
    return result
  }
}
