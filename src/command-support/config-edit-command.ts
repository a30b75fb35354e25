/** The base of every command that edits a proxy config: one edit in, the service's result out. */
import {Args, type Command} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import {editConfig, type ConfigEdit, type ConfigEditResult} from '../services/config-edit.js'
import {editOptions} from './config-flags.js'
import {renderEdit} from './render-edit.js'

/** BACKEND SERVER, for the commands that name one server. */
export const serverArgs = {
  backend: Args.string({required: true, description: 'Backend (or listen section) name.'}),
  server: Args.string({required: true, description: 'Server name, or its ADDRESS:PORT.'}),
}

export abstract class ConfigEditCommand<T extends typeof Command> extends HactlCommand<T> {
  /** Run the edit through the config-edit service and print what happened (the diff under --dry-run). */
  protected async edit(edit: ConfigEdit): Promise<ConfigEditResult> {
    const flags = this.flags as unknown as Parameters<typeof editOptions>[0]
    const result = await editConfig({...editOptions(flags), edit, reporter: this.reporter})
    this.log(renderEdit(result, this.terminal))
    return result
  }
}
