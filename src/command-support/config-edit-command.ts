/** The base of every command that edits a proxy config: one edit in, the service's result out. */
import {Args, type Command} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import type {ConfigEdit} from '../services/config-edit.js'
import {editAndPush, type EditAndPushOptions, type EditAndPushResult} from '../services/edit-and-push.js'
import {hostTasks} from '../ui/host-tasks.js'
import type {Reporter} from '../events.js'
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
    return this.editWith((common) => editAndPush({...common, edit}))
  }

  /** The same, for a service that makes its own edit (`tls add` reads and checks certificates first) from the shared options. */
  protected async editWith(service: (common: Omit<EditAndPushOptions, 'edit'>) => Promise<EditAndPushResult>): Promise<EditAndPushResult> {
    const flags = this.flags as unknown as EditCommandFlags
    // On a terminal the rollout is a live task list, one line per host; elsewhere plain lines (steps only with -v).
    const live = this.terminal.tty && process.stderr.isTTY && !this.jsonEnabled() && !this.flags['dry-run'] && flags.push
    const view = live ? await hostTasks() : undefined
    const result = await service({
      ...(await editOptions(flags, () => this.cluster())),
      push: flags.push,
      acceptNew: flags['accept-new'],
      reporter: view ? byTopic(view.reporter, this.reporter) : this.reporter,
    })
    // The view draws only once a rollout has started.
    if (view && result.rollout) await view.finished
    this.log(renderEditAndPush(result, this.terminal))
    return this.finish(result, result.rollout?.exitCode ?? 0)
  }
}

/** Rollout events to the live view, the rest (a validator's warning, say) as lines. */
function byTopic(rollout: Reporter, rest: Reporter): Reporter {
  return {emit: (event) => (event.code.startsWith('rollout.') ? rollout : rest).emit(event)}
}
