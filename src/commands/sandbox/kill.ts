import {Args, Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sandboxKill, type KillResult} from '../../sandbox/service.js'

export default class SandboxKill extends HactlCommand<typeof SandboxKill> {
  static override summary = 'Kill a proxy instance with kill -9, as a node that dies; it stays down until revived.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> proxy-1',
    '<%= config.bin %> <%= command.id %> i-0123456789abcdef0',
    '<%= config.bin %> <%= command.id %> --terminate proxy-2',
  ]

  static override args = {instance: Args.string({description: 'Instance name, id or private address.', required: true})}
  static override flags = {
    terminate: Flags.boolean({summary: 'A permanent loss: kill it, then terminate the instance as EC2 would (its addresses fall off; it never comes back).'}),
  }

  public async run(): Promise<KillResult> {
    const result = await sandboxKill(await this.cluster(), this.args.instance, {terminate: this.flags.terminate, dryRun: this.flags['dry-run']})
    if (result.dryRun) {
      this.log(`would kill ${result.instance} (${result.id}${result.pid ? `, haproxy pid ${result.pid}` : ', not running'}, kill -9)${this.flags.terminate ? ' and terminate it' : ''}`)
      return result
    }
    for (const skipped of result.skipped ?? []) this.reporter.emit({level: 'warn', code: 'sandbox.pid', message: skipped})
    if (result.terminated) {
      const fell = result.terminated.addresses.length > 0 ? `; ${result.terminated.addresses.join(', ')} fell off it` : ''
      this.log(`terminated ${result.instance} (${result.id}${result.pid ? `, haproxy pid ${result.pid} killed` : ''})${fell}`)
    } else this.log(result.changed ? `killed ${result.instance} (haproxy pid ${result.pid}, kill -9)` : `${result.instance} is already down: nothing changed`)
    return result
  }
}
