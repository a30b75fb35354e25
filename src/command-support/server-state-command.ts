/** drain, disable and enable are one command with three states: this builds each of them. */
import {Flags} from '@oclif/core'

import type {ServerState} from '../proxy-config/engine.js'
import type {EditAndPushResult} from '../services/edit-and-push.js'
import {setRuntimeState, type RuntimeStateResult} from '../services/runtime-state.js'
import {renderTable} from '../ui/table.js'
import {ConfigEditCommand, serverArgs} from './config-edit-command.js'
import {editFlags, editOptions} from './config-flags.js'
import {renderEdit} from './render-edit.js'

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
      '<%= config.bin %> <%= command.id %> web web3 --runtime',
      '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080 --file /etc/haproxy/haproxy.cfg',
      '<%= config.bin %> <%= command.id %> web web3 --dry-run',
    ]

    static override args = serverArgs
    static override flags = {
      ...editFlags,
      runtime: Flags.boolean({
        summary: "Apply it now on every proxy through HAProxy's runtime API (no reload), and record it in the source.",
        exclusive: ['file'],
      }),
    }

    public async run(): Promise<EditAndPushResult | RuntimeStateResult> {
      const edit = {op: 'set-server-state', backend: this.args.backend, server: this.args.server, state} as const
      if (!this.flags.runtime) return this.edit(edit)
      const result = await setRuntimeState({
        ...(await editOptions(this.flags, () => this.cluster())),
        backend: this.args.backend,
        server: this.args.server,
        state,
        acceptNew: this.flags['accept-new'],
        reporter: this.reporter,
      })
      this.log(renderEdit(result, this.terminal))
      this.log(
        renderTable(
          result.runtime,
          [
            {header: 'host', get: (r) => r.host},
            {header: 'runtime', get: (r) => (r.ok ? 'applied' : 'failed')},
            {header: 'message', get: (r) => r.message},
          ],
          this.terminal,
        ),
      )
      return this.finish(result, result.exitCode)
    }
  }
}
