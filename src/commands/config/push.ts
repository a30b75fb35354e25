import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {pushConfig, type PushReport} from '../../services/config-sync.js'
import {hostTasks} from '../../ui/host-tasks.js'
import {passphrasePrompt, remoteFlags} from '../../command-support/remote-flags.js'
import {pushSummary, renderPush} from '../../command-support/rollout-view.js'

export default class ConfigPush extends HactlCommand<typeof ConfigPush> {
  static override summary = 'Roll the config source out to every proxy: validate, install atomically, reload, check, roll back.'
  static override description = `On each host, under a lock: upload next to the live file, validate with the proxy's own binary,
keep a backup, rename into place, reload gracefully and check the proxy. Any failure after the
install puts the previous config back and reloads it. Hosts that already run the source are left alone
(a host whose file is the source but whose proxy never loaded it is reloaded; --force-reload reloads all).
Exit codes: 0 done or nothing to do; 3 the validator rejected it and nothing changed; 4 some hosts
failed and were rolled back; 6 another push holds a host's lock; 7 host key or login refused.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --canary 1 --concurrency 20',
    '<%= config.bin %> <%= command.id %> --hosts lb1,lb2 --dry-run',
    '<%= config.bin %> <%= command.id %> --accept-new --json',
    '<%= config.bin %> <%= command.id %> --force-reload --hosts lb2',
  ]

  static override flags = {
    ...remoteFlags,
    concurrency: Flags.integer({summary: 'Hosts worked on at once.', default: 10, min: 1}),
    'max-failures': Flags.integer({summary: 'Failed hosts tolerated before no new host is started.', default: 0, min: 0}),
    canary: Flags.integer({summary: 'Roll out to the first N hosts alone; the rest only when they all succeed.', default: 0, min: 0}),
    'force-reload': Flags.boolean({summary: 'Reload (and check) every host, also those whose live file already is the source.', default: false}),
  }

  public async run(): Promise<PushReport> {
    const cluster = await this.cluster()
    const live = this.terminal.tty && process.stderr.isTTY && !this.jsonEnabled() && !this.flags['dry-run']
    const view = live ? await hostTasks() : undefined
    const report = await pushConfig(cluster, {
      hosts: this.flags.hosts,
      concurrency: this.flags.concurrency,
      maxFailures: this.flags['max-failures'],
      canary: this.flags.canary,
      acceptNew: this.flags['accept-new'],
      dryRun: this.flags['dry-run'],
      forceReload: this.flags['force-reload'],
      askPassphrase: passphrasePrompt(this.canPrompt),
      reporter: view?.reporter ?? this.reporter,
    })
    await view?.finished
    this.log(renderPush(report, this.terminal))
    if (!this.jsonEnabled()) this.logToStderr(pushSummary(report))
    return this.finish(report, report.exitCode)
  }
}
