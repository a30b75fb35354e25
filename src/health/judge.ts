/**
 * A health judge says, for each proxy, whether it may hold an address now.
 * `eip failover` and the monitor ask the judge the cluster file names
 * (`health.proxy.type`, see ./judges.ts); `ec2` judges by what the cloud reports alone and
 * sends no packet, which is also what tests against moto use (its addresses
 * are invented and must never be contacted).
 */
import type {ProxyInstance} from '../cloud/provider.js'

export type Health = 'healthy' | 'unhealthy' | 'unknown'

export type HealthJudge = (proxies: ProxyInstance[]) => Promise<Record<string, Health>>

/** One proxy by the cloud's word: running with status checks passing is healthy; checks still pending is unknown. */
export function ec2Health(proxy: ProxyInstance): Health {
  if (proxy.state !== 'running') return 'unhealthy'
  if (proxy.statusOk === undefined) return 'unknown'
  return proxy.statusOk ? 'healthy' : 'unhealthy'
}

/** Instance state and EC2 status checks, as the provider's describe returned them. */
export const ec2Judge: HealthJudge = async (proxies) => Object.fromEntries(proxies.map((p) => [p.id, ec2Health(p)]))
