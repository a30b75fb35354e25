import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {editFlags, editOptions} from '../../command-support/config-flags.js'
import {renderEditAndPush} from '../../command-support/render-edit.js'
import {routeArgs, routeFlags, routeSpec} from '../../command-support/route-flags.js'
import {editAndPush, type EditAndPushResult} from '../../services/edit-and-push.js'

export default class RouteAdd extends HactlCommand<typeof RouteAdd> {
  static override summary = 'Send requests for a host or a path prefix to a backend.'
  static override description = `Writes one line in the frontend, after its other use_backend rules (or before default_backend):
  use_backend BACKEND if { hdr(host) -i HOST }      (--host)
  use_backend BACKEND if { path_beg PREFIX }        (--path)
A rule that is already there changes nothing and exits 0.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --host api.example.com api',
    '<%= config.bin %> <%= command.id %> --path /static static --frontend www --create',
  ]

  static override args = routeArgs
  static override flags = {
    ...editFlags,
    ...routeFlags,
    create: Flags.boolean({summary: 'Create the backend when it does not exist.'}),
  }

  public async run(): Promise<EditAndPushResult> {
    const result = await editAndPush({
      push: this.flags.push,
      acceptNew: this.flags['accept-new'],
      ...editOptions(this.flags),
      edit: {op: 'add-route', spec: routeSpec(this.flags, this.args.backend, this.flags.create)},
      reporter: this.reporter,
    })
    this.log(renderEditAndPush(result, this.terminal))
    return this.finish(result, result.rollout?.exitCode ?? 0)
  }
}
