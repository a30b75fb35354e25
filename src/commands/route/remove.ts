import {HactlCommand} from '../../base-command.js'
import {editFlags, editOptions} from '../../command-support/config-flags.js'
import {renderEditAndPush} from '../../command-support/render-edit.js'
import {routeArgs, routeFlags, routeSpec} from '../../command-support/route-flags.js'
import {editAndPush, type EditAndPushResult} from '../../services/edit-and-push.js'

export default class RouteRemove extends HactlCommand<typeof RouteRemove> {
  static override summary = 'Stop routing a host or a path prefix to a backend.'
  static override description = `Removes the use_backend rule (and its acl line when nothing else uses it). When the ACL lists
several hosts or paths, only this one is taken out of it. A rule that is not there changes nothing and exits 0.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --host api.example.com api',
    '<%= config.bin %> <%= command.id %> --path /static static --frontend www',
  ]

  static override args = routeArgs
  static override flags = {...editFlags, ...routeFlags}

  public async run(): Promise<EditAndPushResult> {
    const result = await editAndPush({
      push: this.flags.push,
      acceptNew: this.flags['accept-new'],
      ...editOptions(this.flags),
      edit: {op: 'remove-route', spec: routeSpec(this.flags, this.args.backend)},
      reporter: this.reporter,
    })
    this.log(renderEditAndPush(result, this.terminal))
    return this.finish(result, result.rollout?.exitCode ?? 0)
  }
}
