import {Args} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {scaleProxies, type ScaleReport} from '../../services/nlb.js'

export default class ProxyScale extends CloudCommand<typeof ProxyScale> {
  static override summary = 'Set the number of proxies the auto scaling group keeps (topology nlb).'
  static override description = `Sets min = max = desired = N on the cluster's scaling group, which then launches proxies (into the
load balancer's target groups) or ends some until it runs N. Running it again with the same N changes nothing.
To end one proxy of your choice, use \`hactl proxy terminate ID --decrement\`.`

  static override examples = ['<%= config.bin %> <%= command.id %> 4', '<%= config.bin %> <%= command.id %> 2 --dry-run']

  static override args = {count: Args.integer({description: 'Proxies the scaling group keeps.', required: true, min: 0, max: 1000})}
  static override flags = {'check-permissions': checkPermissionsFlag}

  public async run(): Promise<ScaleReport> {
    const report = await scaleProxies({...(await this.cloudOptions()), count: this.args.count})
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code)
  }
}
