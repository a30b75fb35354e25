/** drain, disable and enable are one command with three states: this builds each of them. */
import {Args, Flags} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import type {ServerState} from '../proxy-config/engine.js'
import {editAndPush, type EditAndPushResult} from '../services/edit-and-push.js'
import {setRuntimeState, type RuntimeStateResult} from '../services/runtime-state.js'
import {renderTable} from '../ui/table.js'
import {editFlags, editOptions} from './config-flags.js'
import {renderEdit, renderEditAndPush} from './render-edit.js'

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

    static override flags = {
      ...editFlags,
      runtime: Flags.boolean({
        summary: "Apply it now on every proxy through HAProxy's runtime API (no reload), and record it in the source.",
        exclusive: ['file'],
      }),
    }

    public async run(): Promise<EditAndPushResult | RuntimeStateResult> {
      if (this.flags.runtime) {
        const result = await setRuntimeState({
          ...editOptions(this.flags),
          backend: this.args.backend,
          server: this.args.server,
          state,
          acceptNew: this.flags['accept-new'],
          reporter: this.reporter,
        })
        this.log(renderEdit(result, this.terminal))
        this.log(renderTable(result.runtime, [{header: 'host', get: (r) => r.host}, {header: 'runtime', get: (r) => (r.ok ? 'applied' : 'failed')}, {header: 'message', get: (r) => r.message}], this.terminal))
        return this.finish(result, result.exitCode)
      }

      const result = await editAndPush({
        push: this.flags.push,
        acceptNew: this.flags['accept-new'],
        ...editOptions(this.flags),
        edit: {op: 'set-server-state', backend: this.args.backend, server: this.args.server, state},
        reporter: this.reporter,
      })
      this.log(renderEditAndPush(result, this.terminal))
      return this.finish(result, result.rollout?.exitCode ?? 0)
    }
  }
}
