/** drain, disable and enable are one command with three states: this builds each of them. */
import type {ServerState} from '../proxy-config/engine.js'
import type {ConfigEditResult} from '../services/config-edit.js'
import {ConfigEditCommand, serverArgs} from './config-edit-command.js'
import {editFlags} from './config-flags.js'

export interface StateCommandText {
  summary: string
  description: string
}

export function serverStateCommand(state: ServerState, text: StateCommandText) {
  return class ServerStateCommand extends ConfigEditCommand<typeof ServerStateCommand> {
    static override summary = text.summary
    static override description = text.description
    static override examples = [
      '<%= config.bin %> <%= command.id %> web web3',
      '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080 --file /etc/haproxy/haproxy.cfg',
      '<%= config.bin %> <%= command.id %> web web3 --dry-run',
    ]

    static override args = serverArgs
    static override flags = editFlags

    public async run(): Promise<ConfigEditResult> {
      return this.edit({op: 'set-server-state', backend: this.args.backend, server: this.args.server, state})
    }
  }
}
