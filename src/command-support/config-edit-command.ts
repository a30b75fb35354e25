/** The base of every command that edits a proxy config: one edit in, the service's result out. */
import {Args, type Command} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import type {ConfigEdit} from '../services/config-edit.js'
import {editAndPush, type EditAndPushResult} from '../services/edit-and-push.js'
import {editOptions} from './config-flags.js'
import {renderEditAndPush} from './render-edit.js'

/** BACKEND SERVER, for the commands that name one server. */
export const serverArgs = {
  backend: Args.string({required: true, description: 'Backend (or listen section) name.'}),
  server: Args.string({required: true, description: 'Server name, or its ADDRESS:PORT.'}),
}

type EditCommandFlags = Parameters<typeof editOptions>[0] & {'accept-new': boolean; push: boolean}

export abstract class ConfigEditCommand<T extends typeof Command> extends HactlCommand<T> {
  /**
   * Run the edit through the config-edit service, then roll the cluster's
   * source out unless --no-push, --file or --dry-run; print what happened
   * (the diff under --dry-run) and exit with the rollout's code.
   */
  protected async edit(edit: ConfigEdit): Promise<EditAndPushResult> {
    const flags = this.flags as unknown as EditCommandFlags
    const result = await editAndPush({
      ...editOptions(flags),
      push: flags.push,
      acceptNew: flags['accept-new'],
      edit,
      reporter: this.reporter,
    })
    this.log(renderEditAndPush(result, this.terminal))
    return this.finish(result, result.rollout?.exitCode ?? 0)
  }
}
