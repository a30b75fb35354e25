/**
 * A health judgement with what it rests on, for the lines a person reads:
 * "unhealthy: connection refused" says more than "unhealthy", and beside the
 * cloud's "running" it shows where the two disagree.
 */
import type {ProxyInstance} from '../cloud/provider.js'
import type {Health, HealthJudge} from './judge.js'
import type {ProbeJudge} from './judges.js'

export interface Verdict {
  health: Health
  /** What the probe saw (`HTTP 200 in 3 ms`, `connection refused`), or the cloud's status checks for the ec2 judge. */
  detail: string
}

function cloudDetail(proxy: ProxyInstance): string {
  if (proxy.state !== 'running') return `not probed: ${proxy.state}`
  if (proxy.statusOk === undefined) return 'status checks pending'
  return proxy.statusOk ? 'status checks ok' : 'status checks impaired'
}

/** Ask the judge, then say for each proxy what its answer rests on. */
export async function judgeWithDetail(judge: HealthJudge, proxies: ProxyInstance[]): Promise<Record<string, Verdict>> {
  return verdictsOf(judge, proxies, await judge(proxies))
}

/** The verdicts of a judge that was just asked (a probe judge keeps its last probes). */
export function verdictsOf(judge: HealthJudge, proxies: ProxyInstance[], health: Record<string, Health>): Record<string, Verdict> {
  const probed = new Map(((judge as Partial<ProbeJudge>).last ?? []).map((p) => [p.id, p]))
  return Object.fromEntries(
    proxies.map((proxy) => {
      const seen = probed.get(proxy.id)
      let detail: string
      if (seen?.result) detail = seen.result.ok ? `${seen.result.detail} in ${Math.round(seen.result.latencyMs)} ms` : seen.result.detail
      else if (seen) detail = 'no address to probe'
      else detail = cloudDetail(proxy)
      return [proxy.id, {health: health[proxy.id] ?? 'unknown', detail}]
    }),
  )
}
