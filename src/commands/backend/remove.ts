import {Args} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {editFlags, editOptions} from '../../command-support/config-flags.js'
import {renderEditAndPush} from '../../command-support/render-edit.js'
import {editAndPush, type EditAndPushResult} from '../../services/edit-and-push.js'

export default class BackendRemove extends HactlCommand<typeof BackendRemove> {
  static override summary = 'Deregister a server from a backend.'
  static override description = `Removes the server's line and nothing else. A server that is not there changes nothing and exits 0.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> web web3',
    '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080 --file /etc/haproxy/haproxy.cfg',
  ]

  static override args = {
    backend: Args.string({required: true, description: 'Backend (or listen section) name.'}),
    server: Args.string({required: true, description: 'Server name, or its ADDRESS:PORT.'}),
  }

  static override flags = editFlags

  public async run(): Promise<EditAndPushResult> {
    const result = await editAndPush({
      push: this.flags.push,
      acceptNew: this.flags['accept-new'],
      ...editOptions(this.flags),
      edit: {op: 'remove-server', backend: this.args.backend, server: this.args.server},
      reporter: this.reporter,
    })
    this.log(renderEditAndPush(result, this.terminal))
    return this.finish(result, result.rollout?.exitCode ?? 0)
  }
}
