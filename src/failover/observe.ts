/**
 * One describe round: proxies and addresses (in parallel), then the health
 * judge. Any failure makes the view incomplete, and the planner then acts on
 * nothing: a half-seen cloud is never acted on.
 */
import type {PoolCloud} from '../cloud/capabilities.js'
import type {HealthJudge} from '../health/judge.js'
import type {ObservedPool} from './planner.js'

export interface Observation {
  view: ObservedPool
  /** Why the view is incomplete. */
  error?: unknown
}

export async function observePool(provider: PoolCloud, judge: HealthJudge): Promise<Observation> {
  try {
    const [proxies, addresses] = await Promise.all([provider.listProxies(), provider.listAddresses()])
    const health = await judge(proxies)
    return {view: {proxies, addresses, health, complete: true}}
  } catch (error) {
    return {view: {proxies: [], addresses: [], health: {}, complete: false}, error}
  }
}
