import {ConfigEditCommand, serverArgs} from '../../command-support/config-edit-command.js'
import {editFlags} from '../../command-support/config-flags.js'
import type {EditAndPushResult} from '../../services/edit-and-push.js'

export default class BackendRemove extends ConfigEditCommand<typeof BackendRemove> {
  static override summary = 'Deregister a server from a backend.'
  static override description = `Removes the server's line and nothing else. A server that is not there changes nothing and exits 0.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> web web3',
    '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080 --file /etc/haproxy/haproxy.cfg',
  ]

  static override args = serverArgs
  static override flags = editFlags

  public async run(): Promise<EditAndPushResult> {
    return this.edit({op: 'remove-server', backend: this.args.backend, server: this.args.server})
  }
}
