/**
 * What `status` reads from the monitor's state beside its own probes: the
 * monitor's open alerts, a last round that saw unhealthy proxies (its view
 * may differ from this machine's: it may be cut off), and an unbalanced pool
 * with when the monitor will spread it again.
 */
import type {ClusterSpec} from '../cluster/schema.js'
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {rebalanceOutlook, type Health} from '../failover/planner.js'
import {describeReplacement} from '../monitor/replace-plan.js'
import {stateHistory, type MonitorState} from '../monitor/state.js'

export function monitorProblems(spec: ClusterSpec, state: MonitorState, view: {proxies: ProxyInstance[]; addresses: ElasticAddress[]; health: Record<string, Health>}, now = Date.now()): string[] {
  const problems: string[] = []
  for (const alert of Object.values(state.alerts ?? {})) problems.push(`monitor alert since ${new Date(alert.since).toISOString()}: ${alert.message}`)
  // A replacement in flight: the cluster is short of a proxy until it is done.
  for (const r of state.replace?.inFlight ?? []) problems.push(`the monitor is ${describeReplacement(r, now)}`)
  const round = state.lastRound
  if (round && round.unhealthy > 0) {
    const total = round.healthy + round.unhealthy + round.unknown
    const here = view.proxies.filter((p) => view.health[p.id] === 'healthy').length
    const differs = here > round.healthy ? `; ${here} answer from here, so the monitor's view differs (it may be cut off)` : ''
    problems.push(`the monitor's last round (${round.id} at ${round.at}) saw ${round.unhealthy} of ${total} proxies unhealthy${differs}`)
  }
  if (spec.topology === 'pool') {
    const outlook = rebalanceOutlook(
      {...view, complete: true},
      {now, topology: 'pool', holdDownMs: spec.failover.holdDown, maxRemapsPerHour: spec.failover.maxRemapsPerHour, rebalance: spec.failover.rebalance, ...stateHistory(state)},
    )
    if (outlook) problems.push(`the pool is unbalanced: ${outlook.message}`)
  }
  return problems
}
