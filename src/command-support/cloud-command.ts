import {Flags, type Command} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import {ExitCode} from '../errors.js'
import {deniedCalls, type CloudServiceOptions, type DryRunReport} from '../services/cloud.js'

/** `--check-permissions`, for every mutating cloud command. */
export const checkPermissionsFlag = Flags.boolean({
  summary: 'With --dry-run: ask the cloud (EC2 DryRun=true) whether you may make each call.',
  dependsOn: ['dry-run'],
})

/**
 * Base of the commands that talk to the cluster's provider: the service
 * options every one of them passes, and the one way a dry run is shown.
 */
export abstract class CloudCommand<T extends typeof Command> extends HactlCommand<T> {
  protected async cloudOptions(): Promise<CloudServiceOptions> {
    const flags = this.flags as {'check-permissions'?: boolean; 'dry-run'?: boolean}
    return {
      cluster: await this.cluster(),
      reporter: this.reporter,
      dryRun: flags['dry-run'],
      checkPermissions: flags['check-permissions'],
    }
  }

  /** Print the calls a real run would make (and the permission answers); the exit code: 7 when a call is denied. */
  protected showDryRun(report: DryRunReport | undefined): number {
    if (!report) return ExitCode.ok
    if (report.calls.length === 0) this.log('no API calls would be made')
    for (const call of report.calls) this.log(`would call ${call}`)
    for (const p of report.permissions ?? []) this.log(`${p.allowed ? 'allowed' : 'DENIED '} ${p.action}: ${p.detail}`)
    return deniedCalls(report).length > 0 ? ExitCode.cloud : ExitCode.ok
  }
}
