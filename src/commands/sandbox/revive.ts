import {Args} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sandboxRevive, type KillResult} from '../../sandbox/service.js'

export default class SandboxRevive extends HactlCommand<typeof SandboxRevive> {
  static override summary = 'Bring a killed proxy instance back with the config it last had.'
  static override examples = ['<%= config.bin %> <%= command.id %> proxy-1']
  static override args = {instance: Args.string({description: 'Instance name, id or private address.', required: true})}

  public async run(): Promise<KillResult> {
    const result = await sandboxRevive(await this.cluster(), this.args.instance)
    this.log(result.changed ? `revived ${result.instance} (haproxy pid ${result.pid})` : `${result.instance} is already running: nothing changed`)
    return result
  }
}
