import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {passphrasePrompt, remoteFlags} from '../../command-support/remote-flags.js'
import {admitPending, type AdmitReport} from '../../services/admit.js'

export default class ProxyAdmit extends CloudCommand<typeof ProxyAdmit> {
  static override summary = 'Push the source config to new proxies the scaling group holds back, then let them join the balancer (topology nlb).'
  static override description = `On AWS, every proxy the auto scaling group launches (at \`proxy launch\`, or to replace one) waits
outside the load balancer on the group's launch hook. This pushes the source config (proxy.config) to each
waiting proxy once it answers SSH (the rollout of \`config push\`), and only then lets it join the target
groups. A proxy whose push fails is left waiting (exit 4): run it again once the cause is fixed; a proxy
nobody admits is replaced by the group when the hook times out (10 min). Nothing waits: nothing changes.
Meant to run from cron every minute or two, so the group's replacements join without you.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '* * * * * cd /etc/hactl && <%= config.bin %> <%= command.id %> --json >> /var/log/hactl-admit.log 2>&1',
  ]

  static override flags = {'check-permissions': checkPermissionsFlag, 'accept-new': remoteFlags['accept-new']}

  public async run(): Promise<AdmitReport> {
    const report = await admitPending({
      ...(await this.cloudOptions()),
      acceptNew: this.flags['accept-new'],
      askPassphrase: passphrasePrompt(this.canPrompt),
    })
    const code = report.exitCode ?? this.showDryRun(report.dryRun)
    this.log(report.summary)
    return this.finish(report, code)
  }
}
