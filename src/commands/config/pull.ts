import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {pullConfig, type PullReport} from '../../services/config-sync.js'
import {colorDiff} from '../../ui/color.js'
import {passphrasePrompt, remoteFlags} from '../../command-support/remote-flags.js'

export default class ConfigPull extends HactlCommand<typeof ConfigPull> {
  static override summary = "Copy one proxy's live config into the config source."
  static override description = `Shows the diff from the source to the host's live file and asks before writing (on a TTY);
scripts pass --yes. Nothing is written with --dry-run or when the two already match.`

  static override examples = ['<%= config.bin %> <%= command.id %> --from lb1', '<%= config.bin %> <%= command.id %> --from lb1 --yes']

  static override flags = {
    from: Flags.string({summary: 'The proxy to copy from (its name).', required: true}),
    'accept-new': remoteFlags['accept-new'],
  }

  public async run(): Promise<PullReport> {
    const report = await pullConfig(await this.cluster(), {
      from: this.flags.from,
      acceptNew: this.flags['accept-new'],
      dryRun: this.flags['dry-run'],
      askPassphrase: passphrasePrompt(this.canPrompt),
      confirm: async (diff) => {
        this.log(colorDiff(diff, this.terminal).trimEnd())
        return this.confirm(`Write ${this.flags.from}'s config into the source?`)
      },
    })
    if (!report.changed) this.log(`${report.source} already equals ${report.from}'s live config; nothing to do`)
    else if (report.written) this.log(`wrote ${report.from}'s live config to ${report.source}`)
    else if (this.flags['dry-run']) this.log(`would write ${report.source}:\n${colorDiff(report.diff, this.terminal).trimEnd()}`)
    else this.log(`left ${report.source} unchanged`)
    return report
  }
}
