import {Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {launchProxies, type LaunchReport} from '../../services/proxy.js'
import {passphrasePrompt, remoteFlags} from '../../command-support/remote-flags.js'

export default class ProxyLaunch extends CloudCommand<typeof ProxyLaunch> {
  static override summary = 'Bring the cluster to N proxy instances, spread round-robin over the zones.'
  static override description = `Counts the cluster's proxies (by tag) and launches only the missing ones, each in the zone or subnet
with the fewest proxies, with IMDSv2 required and cloud-init user-data that installs and enables the engine
(Debian/Ubuntu or Amazon Linux). Waits until they run. Running it again with the same N launches nothing.

With topology pairs: addresses.count pairs of two proxies, the members of a pair in two different zones
where there are two, each tagged hactl:pair=pair-N. Proxies of the cluster without a pair join the pairs
that miss members first; a pair that lost a member gets a new one in the zone it lacks.

Before it returns, the source config (proxy.config) is pushed to the proxies it launched, once they answer
SSH (the rollout of \`config push\`): a new instance starts with the engine's packaged config, and no
address may move to it before it serves the source. Exit 4 when a launched proxy could not be given it.

With topology nlb on AWS: the scaling group's launch hook holds each new instance out of the load
balancer; the source config is pushed to it, and only then does it join the target groups (see
\`hactl proxy admit\`). Exit 4, naming them, when some could not be admitted.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --count 4',
    '<%= config.bin %> <%= command.id %> --dry-run --check-permissions',
    '<%= config.bin %> <%= command.id %> --accept-new',
  ]

  static override flags = {
    count: Flags.integer({summary: 'Proxies the cluster should have (default: proxy.instances.count; not with topology pairs).', min: 1}),
    'check-permissions': checkPermissionsFlag,
    push: Flags.boolean({summary: 'Push the source config to the launched proxies before returning.', default: true, allowNo: true}),
    'accept-new': remoteFlags['accept-new'],
  }

  public async run(): Promise<LaunchReport> {
    const report = await launchProxies({
      ...(await this.cloudOptions()),
      count: this.flags.count,
      push: this.flags.push,
      acceptNew: this.flags['accept-new'],
      askPassphrase: passphrasePrompt(this.canPrompt),
    })
    const code = report.exitCode ?? this.showDryRun(report.dryRun)
    this.log(report.summary)
    for (const p of report.launched) this.log([p.id, p.zone, p.state, ...(p.tags['hactl:pair'] ? [p.tags['hactl:pair']] : [])].join('\t'))
    return this.finish(report, code)
  }
}
