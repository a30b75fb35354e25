import {Args, Flags} from '@oclif/core'

import {checkPermissionsFlag, CloudCommand} from '../../command-support/cloud-command.js'
import {ExitCode} from '../../errors.js'
import {nameInstances} from '../../cloud/labels.js'
import {failoverEips, type FailoverReport} from '../../services/eip.js'

export default class EipFailover extends CloudCommand<typeof EipFailover> {
  static override summary = 'Move every EIP whose proxy is not healthy to a healthy proxy.'
  static override description = `Health comes from health.proxy.type (ec2: instance state and EC2 status checks). Each EIP goes to the
healthy proxy with the fewest EIPs, preferring another zone; each move is checked against the current holder
first and verified by describing again. DNS does not change. Exits 0 when every EIP ends on a healthy proxy,
5 when not, 6 when another failover of the cluster is running.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> 203.0.113.10 --to i-0abc123',
    '<%= config.bin %> <%= command.id %> --dry-run --json',
  ]

  static override strict = false
  static override args = {eip: Args.string({description: 'Public IPs or allocation ids (default: the whole pool).'})}
  static override flags = {
    to: Flags.string({summary: 'Move to this proxy (instance id or Name tag) instead of choosing one.'}),
    'check-permissions': checkPermissionsFlag,
  }

  public async run(): Promise<FailoverReport> {
    const {argv} = await this.parse(EipFailover)
    const report = await failoverEips({...(await this.cloudOptions()), only: argv as string[], to: this.flags.to})
    const code = this.showDryRun(report.dryRun)
    renderFailover(report, (line) => this.log(line))
    return this.finish(report, code === ExitCode.ok && !report.ok ? ExitCode.unhealthy : code)
  }
}

export function renderFailover(report: FailoverReport, log: (line: string) => void): void {
  const labels = new Map(Object.entries(report.names))
  const name = (id: string): string => labels.get(id) ?? id
  for (const r of report.results) {
    if (r.action.kind !== 'associate') continue
    const where = `${r.action.from ? name(r.action.from) : '(unattached)'} → ${name(r.action.to)} (${r.action.toZone})`
    log(`${r.action.publicIp}: ${r.outcome} ${where}${r.outcome === 'moved' ? '' : `: ${nameInstances(r.detail, labels)}`}`)
  }
  for (const a of report.plan.actions) if (a.kind === 'alert') log(`alert: ${nameInstances(a.message, labels)}`)
  // A pool that waits (hold-down, budget) says for what and until when, not only that nothing moved.
  if (report.plan.waiting) log(nameInstances(report.plan.waiting.message, labels))
  else if (report.plan.actions.length === 0) log(report.plan.notes.length > 0 ? nameInstances(report.plan.notes.join('\n'), labels) : 'nothing to do')
  const would = report.dryRun ? 'after this plan, ' : ''
  if (report.unhealthy.length > 0) log(`${would}not on a healthy proxy: ${report.unhealthy.join(', ')}`)
  if (report.elsewhere.length > 0) log(`${would}also on a failed proxy: ${report.elsewhere.join(', ')} (run \`hactl eip failover\` for the whole pool)`)
  if (report.ok) log(`${would}every address is on a healthy proxy`)
}
