import {Args, Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {terminateProxy, type TerminateReport} from '../../services/proxy.js'

export default class ProxyTerminate extends CloudCommand<typeof ProxyTerminate> {
  static override summary = 'Terminate a proxy instance; refuses while it holds an EIP unless --force.'
  static override description = `With --force, its EIPs first move to healthy proxies (fewest EIPs, another zone), and the
termination happens only once every move is verified.

With topology nlb the proxy goes through the auto scaling group: it is deregistered from the load
balancer first and its connections drain (up to balancer.deregistrationDelay; --no-drain skips it),
then the group terminates it and launches a replacement, or with --decrement keeps one proxy fewer.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> i-0abc123',
    '<%= config.bin %> <%= command.id %> i-0abc123 --force --dry-run',
    '<%= config.bin %> <%= command.id %> i-0abc123 --decrement',
  ]

  static override args = {id: Args.string({description: 'Instance id (or Name tag) of the proxy.', required: true})}
  static override flags = {
    force: Flags.boolean({summary: 'Move the EIPs it holds to healthy proxies first.'}),
    decrement: Flags.boolean({summary: 'topology nlb: lower the scaling group by one instead of replacing the proxy.'}),
    drain: Flags.boolean({summary: 'topology nlb: deregister from the load balancer and wait for its connections first.', default: true, allowNo: true}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<TerminateReport> {
    if (!this.flags['dry-run'] && !(await this.confirm(`Terminate ${this.args.id}?`))) return {changed: false, summary: 'not confirmed: nothing done', moved: []}
    const report = await terminateProxy({...(await this.cloudOptions()), id: this.args.id, force: this.flags.force, decrement: this.flags.decrement, drain: this.flags.drain})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code)
  }
}
