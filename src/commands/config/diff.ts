import {ExitCode} from '../../errors.js'
import {HactlCommand} from '../../base-command.js'
import {diffConfig, type DiffReport} from '../../services/config-sync.js'
import {passphrasePrompt, remoteFlags} from '../../command-support/remote-flags.js'
import {renderDiff} from '../../command-support/rollout-view.js'

export default class ConfigDiff extends HactlCommand<typeof ConfigDiff> {
  static override summary = "Show how each proxy's live config differs from the source (drift)."
  static override description = `Prints, per host, the unified diff that \`config push\` would apply (a/ the live file, b/ the source).
Exit 0 when every host runs the source; 5 when any host differs, lacks the file, has it but never loaded it, or cannot be reached.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --hosts lb2 --json']

  static override flags = {...remoteFlags}

  public async run(): Promise<DiffReport> {
    const report = await diffConfig(await this.cluster(), {
      hosts: this.flags.hosts,
      acceptNew: this.flags['accept-new'],
      askPassphrase: passphrasePrompt(this.canPrompt),
    })
    this.log(renderDiff(report, this.terminal))
    return this.finish(report, report.inSync ? ExitCode.ok : ExitCode.unhealthy)
  }
}
