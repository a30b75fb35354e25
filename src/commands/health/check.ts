import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {openCloud} from '../../cloud/index.js'
import {ExitCode} from '../../errors.js'
import {CHECK_TARGETS, checkHealth, type HealthReport, type HealthRow} from '../../health/check.js'
import {renderTable} from '../../ui/table.js'

export default class HealthCheck extends HactlCommand<typeof HealthCheck> {
  static override summary = 'Probe the proxies, the addresses and the backend servers once.'
  static override description = `Proxies are probed on their private addresses, each address from outside (its public IP), each backend
server of the config source with health.backends (a TCP connect by default). With health.proxy.type ec2
nothing is probed: the cloud's instance state and status checks decide. With topology nlb the balancer's address is
probed from outside, and each proxy's row also shows its state as a target of the balancer, by the balancer's own
checks. Exits 5 when anything failed, or a target the balancer calls unhealthy.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --target backends',
    '<%= config.bin %> <%= command.id %> --json | jq \'.rows[] | select(.result == "fail")\'',
  ]

  static override flags = {
    target: Flags.string({summary: 'What to probe.', options: [...CHECK_TARGETS], default: 'all'}),
  }

  public async run(): Promise<HealthReport> {
    const cluster = await this.cluster()
    const report = await checkHealth(cluster, () => openCloud(cluster), this.flags.target as (typeof CHECK_TARGETS)[number])
    this.log(
      renderTable<HealthRow>(
        report.rows,
        [
          {header: 'target', get: (r) => r.target},
          {header: 'kind', get: (r) => r.kind},
          {header: 'probe', get: (r) => r.probe},
          {header: 'result', get: (r) => r.result},
          {header: 'latency', get: (r) => (r.latencyMs === undefined ? undefined : `${r.latencyMs} ms`)},
          {header: 'detail', get: (r) => r.detail},
          ...(report.unhealthyTargets ? [{header: 'balancer', get: (r: HealthRow) => r.balancer}] : []),
        ],
        this.terminal,
      ),
    )
    for (const note of report.notes) this.reporter.emit({level: 'warn', code: 'health.note', message: note})
    return this.finish(report, report.failed > 0 ? ExitCode.unhealthy : ExitCode.ok)
  }
}
