import {Args, Flags} from '@oclif/core'

import {CloudCommand} from '../../command-support/cloud-command.js'
import {syncBackends, type SyncReport} from '../../services/backend-sync.js'

export default class BackendSync extends CloudCommand<typeof BackendSync> {
  static override summary = 'Make backends list the instances of this cluster tagged hactl:backend=<name>.'
  static override description = `Discovers running instances tagged hactl:cluster=CLUSTER and hactl:backend=NAME (port from their
hactl:port tag, else backends.NAME.port in the cluster file), adds the new ones to the backend of the config
source and removes servers no instance has any more. The whole change is one edit: checked once with the
proxy's own validator, written once, then rolled out once to every proxy (config push) unless --no-push;
with no running proxy to roll it out to, nothing is written (exit 2). A backend with no instance left keeps
its servers (exit 5).`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> web --dry-run']
  static override strict = false
  static override args = {backend: Args.string({description: 'Backends to sync (default: every one under backends: in the cluster file).'})}
  static override flags = {push: Flags.boolean({summary: 'Roll a change out to every proxy.', allowNo: true, default: true})}

  public async run(): Promise<SyncReport> {
    const {argv} = await this.parse(BackendSync)
    const report = await syncBackends({...(await this.cloudOptions()), backends: argv as string[], push: this.flags.push})
    for (const p of report.plans) {
      this.log(`${p.backend}: ${p.discovered.length} discovered, ${p.add.length} to add, ${p.remove.length} to remove`)
    }
    if (report.diff) this.log(report.diff.trimEnd())
    else this.log(`${report.file}: already matches the cloud`)
    if (report.rollout) this.log(`rolled out to ${report.rollout.hosts.length} proxies`)
    return this.finish(report, report.rollout?.exitCode ?? 0)
  }
}
