import {Flags} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import {parseDuration} from '../cluster/duration.js'
import {MAX_DURATION_MS, MIN_PROBE_INTERVAL_MS} from '../cluster/schema.js'
import {ExitCode, UsageError} from '../errors.js'
import {monitorCluster, type MonitorReport} from '../services/monitor.js'

export default class Monitor extends HactlCommand<typeof Monitor> {
  static override summary = 'Watch the proxies and move an address off a proxy that fails.'
  static override description = `Each round describes the instances and addresses, probes the proxies (health.proxy), feeds the
rise/fall counters, plans with the failover guards (healthy targets only, nothing on a partial view,
nothing when every proxy or most at once fail from here: the monitor may be cut off, hold-down, remap
budget, zone spread), moves addresses, verifies, and publishes DNS only when the pool itself changed.
With failover.rebalance auto it moves addresses back onto empty healthy proxies after the hold-down, one
a round. Alerts are sent once per incident; a source certificate within tls.warnDays of expiry, once a day.
Events are JSON lines (stdout, or --log-file); on a terminal, readable lines that name proxies by name
(with the id where two share a name). --json: JSON lines on stdout even on a terminal, the last one the
result ({"code": "monitor.result", …}) or the error.

--once runs one round, for cron; state (counters, remap history, hold-downs) is kept in the state
file between runs. Overlapping runs never act twice: the second exits 6, or waits with --wait.
With failover.lease set, only the lease holder acts. SIGTERM or SIGINT: the round's moves finish,
then exit 0. Exit 5 (with --once) when something could not be healed (budget spent, no healthy target).
--dry-run: one round that reports its plan and moves nothing, publishes nothing, keeps the state file.

With topology nlb there are no addresses to move (the load balancer checks its targets, the scaling
group replaces the dead): each round only admits the new proxies the group's launch hook holds, as
\`hactl proxy admit\` does (the source config pushed, then they join the balancer).`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --once',
    '<%= config.bin %> <%= command.id %> --json | jq -c \'select(.level != "info")\'',
    '<%= config.bin %> <%= command.id %> --interval 500ms --log-file /var/log/hactl-monitor.jsonl',
    '* * * * * cd /etc/hactl && <%= config.bin %> <%= command.id %> --once --log-file /var/log/hactl-monitor.jsonl',
  ]

  static override flags = {
    once: Flags.boolean({summary: 'Run one round and exit (for cron).'}),
    interval: Flags.string({summary: 'Time between round starts, e.g. 500ms or 2s (default: health.proxy.interval).'}),
    wait: Flags.boolean({summary: 'Wait for a running monitor of this cluster to finish instead of exiting 6.'}),
    'log-file': Flags.string({summary: 'Append the JSON-line events to this file instead of stdout.'}),
  }

  /** The result (or error) as one more JSON line, like the events before it, not a pretty document. */
  protected override logJson(json: unknown): void {
    const body = json && typeof json === 'object' ? (json as Record<string, unknown>) : {value: json}
    process.stdout.write(`${JSON.stringify({time: new Date().toISOString(), code: 'error' in body ? 'monitor.error' : 'monitor.result', ...body})}\n`)
  }

  public async run(): Promise<MonitorReport> {
    const intervalMs = this.flags.interval === undefined ? undefined : parseDuration(this.flags.interval)
    if (this.flags.interval !== undefined && intervalMs === undefined) {
      throw new UsageError(`--interval ${this.flags.interval} is not a duration`, {actions: ['Write it like 500ms, 2s or 1m.']})
    }
    if (intervalMs !== undefined && (intervalMs < MIN_PROBE_INTERVAL_MS || intervalMs > MAX_DURATION_MS)) {
      throw new UsageError(`--interval ${this.flags.interval} is out of range: a round every ${MIN_PROBE_INTERVAL_MS}ms at the fastest, once a day at the slowest`, {
        actions: ['Write it like 500ms, 2s or 1m.'],
      })
    }
    const controller = new AbortController()
    const stop = (): void => controller.abort()
    // Handled here, so SIGTERM/SIGINT end a --wait for the lock at once and let a running round finish its moves.
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    const report = await monitorCluster(await this.cluster(), {
      once: this.flags.once,
      intervalMs,
      wait: this.flags.wait,
      logFile: this.flags['log-file'],
      tty: this.terminal.tty,
      json: this.jsonEnabled(),
      verbose: this.flags.verbose,
      signal: controller.signal,
      dryRun: this.flags['dry-run'],
    })
    process.off('SIGTERM', stop)
    process.off('SIGINT', stop)
    if (!this.flags.once && !this.flags['dry-run']) return report
    return this.finish(report, report.degraded ? ExitCode.unhealthy : report.standby ? ExitCode.busy : ExitCode.ok)
  }
}
