import {HactlCommand} from '../base-command.js'
import {ExitCode} from '../errors.js'
import {mark} from '../ui/color.js'
import {runDoctor, type Check} from '../services/doctor.js'

export default class Doctor extends HactlCommand<typeof Doctor> {
  static override summary = 'Check that this machine has what the cluster needs.'
  static override description = `One line per check: Node.js, the cluster file, the proxy binary on PATH, AWS credentials (aws clusters),
the SSH key and known_hosts (aws and static clusters). Exits 5 when any check fails.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<{checks: Check[]; ok: boolean}> {
    const checks = await runDoctor(() => this.cluster())
    for (const c of checks) {
      this.log(`${mark(c.ok, this.terminal)} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    → ${c.fix}` : ''}`)
    }
    const ok = checks.every((c) => c.ok)
    return this.finish({checks, ok}, ok ? ExitCode.ok : ExitCode.unhealthy)
  }
}
