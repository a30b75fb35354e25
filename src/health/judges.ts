/**
 * The judge the cluster file asks for: `ec2` by the cloud's word alone, or
 * probes (tcp, http, https) of each running proxy on its private address,
 * all at once with bounded concurrency.
 */
import type {ClusterSpec, ProbeSpec} from '../cluster/schema.js'
import type {ProxyInstance} from '../cloud/provider.js'
import {ec2Judge, type Health, type HealthJudge} from './judge.js'
import {probeTargets, type ProbedTarget} from './run-probes.js'

export interface ProbeJudge extends HealthJudge {
  /** The probes of the last call, for events and tables. */
  last: ProbedTarget[]
}

export function probeJudge(spec: ProbeSpec, concurrency: number): ProbeJudge {
  const judge = (async (proxies: ProxyInstance[]) => {
    const running = proxies.filter((p) => p.state === 'running')
    const targets = running.map((p) => ({id: p.id, kind: 'proxy' as const, address: p.privateAddress, label: p.name ?? p.id}))
    judge.last = await probeTargets(targets, spec, concurrency)
    const health: Record<string, Health> = Object.fromEntries(proxies.map((p) => [p.id, 'unhealthy' as Health]))
    for (const probed of judge.last) health[probed.id] = probed.result ? (probed.result.ok ? 'healthy' : 'unhealthy') : 'unknown'
    return health
  }) as ProbeJudge
  judge.last = []
  return judge
}

/**
 * The proxies whose last probe was answered with a failure (refused, reset, a
 * wrong status or body): a definite answer, unlike a timeout, which a busy
 * prober makes happen to every target at once. Empty for the ec2 judge.
 */
export function answeredFailures(judge: HealthJudge): ReadonlySet<string> {
  const last = (judge as Partial<ProbeJudge>).last ?? []
  return new Set(last.filter((p) => p.result && !p.result.ok && !p.result.timedOut).map((p) => p.id))
}

export function clusterJudge(spec: ClusterSpec): HealthJudge {
  return spec.health.proxy.type === 'ec2' ? ec2Judge : probeJudge(spec.health.proxy, spec.health.concurrency)
}
