/** drain, disable and enable are one command with three states: this builds each of them. */
import {Args} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import type {ServerState} from '../proxy-config/engine.js'
import {editConfig, type ConfigEditResult} from '../services/config-edit.js'
import {editFlags, editOptions} from './config-flags.js'
import {renderEdit} from './render-edit.js'

export interface StateCommandText {
  summary: string
  description: string
}

export function serverStateCommand(state: ServerState, text: StateCommandText) {
  return class ServerStateCommand extends HactlCommand<typeof ServerStateCommand> {
    static override summary = text.summary
    static override description = text.description
    static override examples = [
      '<%= config.bin %> <%= command.id %> web web3',
      '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080 --file /etc/haproxy/haproxy.cfg',
      '<%= config.bin %> <%= command.id %> web web3 --dry-run',
    ]

    static override args = {
      backend: Args.string({required: true, description: 'Backend (or listen section) name.'}),
      server: Args.string({required: true, description: 'Server name, or its ADDRESS:PORT.'}),
    }

    static override flags = editFlags

    public async run(): Promise<ConfigEditResult> {
      const result = await editConfig({
        ...editOptions(this.flags),
        edit: {op: 'set-server-state', backend: this.args.backend, server: this.args.server, state},
        reporter: this.reporter,
      })
      this.log(renderEdit(result, this.terminal))
      return result
    }
  }
}
