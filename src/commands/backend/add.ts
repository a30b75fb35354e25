import {Args, Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {editFlags, editOptions} from '../../command-support/config-flags.js'
import {renderEditAndPush} from '../../command-support/render-edit.js'
import {parseEndpoint} from '../../proxy-config/address.js'
import {editAndPush, type EditAndPushResult} from '../../services/edit-and-push.js'

export default class BackendAdd extends HactlCommand<typeof BackendAdd> {
  static override summary = 'Register a server in a backend.'
  static override description = `Adds one server line after the backend's last server, with the indentation, line ending and the
options every other server there shares (not per-server ones such as cookie or id). Adding a server whose
ADDRESS:PORT is already there changes nothing and exits 0. The name is made from the address unless
--name is given. The result is checked with haproxy -c before it is written.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080',
    '<%= config.bin %> <%= command.id %> web 10.0.1.7:8080 --name web3 --weight 50',
    '<%= config.bin %> <%= command.id %> api [2001:db8::7]:8080 --create --file ./haproxy.cfg --dry-run',
  ]

  static override args = {
    backend: Args.string({required: true, description: 'Backend (or listen section) name.'}),
    address: Args.string({required: true, description: 'The server as ADDRESS:PORT (IPv6 in brackets).'}),
  }

  static override flags = {
    ...editFlags,
    name: Flags.string({summary: 'Server name (default: made from the address, unique in the backend).'}),
    weight: Flags.integer({summary: 'Server weight, 0-256.', min: 0, max: 256}),
    backup: Flags.boolean({summary: 'Only used when every non-backup server is down.'}),
    check: Flags.boolean({summary: 'Copy the health-check options of the other servers; --no-check leaves them out.', allowNo: true, default: true}),
    create: Flags.boolean({summary: 'Create the backend when it does not exist.'}),
  }

  public async run(): Promise<EditAndPushResult> {
    const {address, port} = parseEndpoint(this.args.address)
    const {backup, check, create, name, weight} = this.flags
    const result = await editAndPush({
      push: this.flags.push,
      acceptNew: this.flags['accept-new'],
      ...editOptions(this.flags),
      edit: {op: 'add-server', spec: {backend: this.args.backend, address, port, name, weight, backup, check, create}},
      reporter: this.reporter,
    })
    this.log(renderEditAndPush(result, this.terminal))
    return this.finish(result, result.rollout?.exitCode ?? 0)
  }
}
