import {Flags} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import {ExitCode} from '../errors.js'
import {clusterStatus, type StatusReport} from '../services/status.js'
import {renderStatus} from '../command-support/status-view.js'

export default class Status extends HactlCommand<typeof Status> {
  static override summary = 'One screen for the cluster: proxies, addresses, DNS, backends, the monitor and the lease.'
  static override description = `Proxies (zone, the cloud's state beside what the health probe saw, health by health.proxy),
addresses (holder, healthy or not), the DNS record against the pool, a backend health summary, the
monitor's last actions (from its state file) and whether it still runs, the lease holder, and the
firewall audit's result when the cluster file has a firewall: policy (bounded to a few seconds). Reads
only. Exits 0 when all is well, 5 when anything is degraded (each problem is listed), including a
looping monitor that stopped (its last round older than three intervals).`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json', '<%= config.bin %> <%= command.id %> --no-backends']

  static override flags = {
    backends: Flags.boolean({summary: 'Probe the backend servers of the config source.', allowNo: true, default: true}),
    firewall: Flags.boolean({summary: 'Run the firewall audit (when the cluster file has a firewall: policy).', allowNo: true, default: true}),
  }

  public async run(): Promise<StatusReport> {
    const report = await clusterStatus(await this.cluster(), {backends: this.flags.backends, firewall: this.flags.firewall})
    this.log(renderStatus(report, this.terminal))
    return this.finish(report, report.degraded ? ExitCode.unhealthy : ExitCode.ok)
  }
}
