import {Args} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sandboxKill, type KillResult} from '../../sandbox/service.js'

export default class SandboxKill extends HactlCommand<typeof SandboxKill> {
  static override summary = 'Kill a proxy instance with kill -9, as a node that dies; it stays down until revived.'
  static override examples = ['<%= config.bin %> <%= command.id %> proxy-1', '<%= config.bin %> <%= command.id %> i-0123456789abcdef0']
  static override args = {instance: Args.string({description: 'Instance name, id or private address.', required: true})}

  public async run(): Promise<KillResult> {
    const result = await sandboxKill(await this.cluster(), this.args.instance)
    for (const skipped of result.skipped ?? []) this.reporter.emit({level: 'warn', code: 'sandbox.pid', message: skipped})
    this.log(result.changed ? `killed ${result.instance} (haproxy pid ${result.pid}, kill -9)` : `${result.instance} is already down: nothing changed`)
    return result
  }
}
