import {Flags} from '@oclif/core'

import {CloudCommand} from '../../command-support/cloud-command.js'
import {planFirewall, type FirewallPlanReport} from '../../services/firewall.js'
import {renderFirewallPlan} from './apply.js'

export default class FirewallPlan extends CloudCommand<typeof FirewallPlan> {
  static override summary = 'Print the changes that make the security groups match the firewall policy; change nothing.'
  static override description = `The proxies' group lets the public ports in from 0.0.0.0/0 and ::/0 and SSH from the admin networks; the
backends' group lets each backend port in only from the proxies' group, and SSH from the admin networks. The
same as \`hactl firewall apply --dry-run\`. With provider static it prints the nftables table \`inet hactl\` of each
role instead. See docs/firewall.md.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --check-permissions --json']
  static override flags = {
    'check-permissions': Flags.boolean({summary: 'Ask the cloud (EC2 DryRun=true) whether you may make each call.'}),
  }

  public async run(): Promise<FirewallPlanReport> {
    const report = await planFirewall({...(await this.cloudOptions()), dryRun: true})
    renderFirewallPlan(report, (line) => this.log(line))
    const code = this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code)
  }
}
