/**
 * The failover planner: observed state in, actions out. Pure: no clock, no
 * I/O, no randomness, so `--dry-run` prints exactly what the executor would
 * run and every guard of DESIGN.md is a rule here with its own test.
 *
 * Guards:
 * - partial view: a failed describe means act on nothing;
 * - target health: an EIP only ever goes to a proxy that is running and
 *   judged healthy now;
 * - hold-down: a proxy that lost an EIP gets none until it has been healthy
 *   for `holdDownMs`;
 * - budget: at most `maxRemapsPerHour` associations per hour; past it, alerts;
 * - spread: the target is the eligible proxy with the fewest EIPs, preferring
 *   another zone than the failed holder's, then the emptiest zone;
 * - pairs: each pair's EIP stays inside its pair, on the healthy member.
 */
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {TAG} from '../cloud/tags.js'

export type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'

export type Health = 'healthy' | 'unhealthy' | 'unknown'

export interface ObservedPool {
  proxies: ProxyInstance[]
  addresses: ElasticAddress[]
  /** By instance id; missing = unknown. */
  health: Record<string, Health>
  /** false when a describe failed: act on nothing. */
  complete: boolean
}

export interface FailoverPolicy {
  now: number
  topology: 'pairs' | 'pool'
  holdDownMs: number
  maxRemapsPerHour: number
  /** History, for the hourly budget. */
  remaps: {at: number; allocationId: string}[]
  /** Instance id → when it last lost an address. */
  lostAt: Record<string, number>
  /** Instance id → healthy since (hold-down). */
  healthySince: Record<string, number>
  /** Restrict to these allocation ids / IPs. */
  only?: string[]
  /** Forced target instance. */
  to?: string
}

export type FailoverAction =
  | {kind: 'alert'; message: string; allocationId?: string}
  | {kind: 'associate'; allocationId: string; publicIp: string; from?: string; to: string; toZone: string; reason: string}

export interface FailoverPlan {
  actions: FailoverAction[]
  notes: string[]
}

export const HOUR_MS = 3_600_000
export const PAIR_TAG = TAG.pair

/** What the planner knows about one proxy while it plans (counts change as moves are planned). */
interface Candidate {
  proxy: ProxyInstance
  eips: number
}

/** Running and judged healthy now: the only proxies an EIP may be moved to. */
export function isHealthyNow(proxy: ProxyInstance | undefined, health: Record<string, Health>): boolean {
  return proxy !== undefined && proxy.state === 'running' && health[proxy.id] === 'healthy'
}

/** Still inside its hold-down: lost an address less than holdDownMs ago, or healthy for less than that since. */
export function isHeldDown(id: string, policy: FailoverPolicy): boolean {
  const lost = policy.lostAt[id]
  if (lost === undefined) return false
  const since = Math.max(lost, policy.healthySince[id] ?? lost)
  return policy.now - since < policy.holdDownMs
}

/** Associations left in the hourly budget. */
export function remapsLeft(policy: FailoverPolicy): number {
  const used = policy.remaps.filter((r) => policy.now - r.at < HOUR_MS).length
  return Math.max(0, policy.maxRemapsPerHour - used)
}

function inScope(address: ElasticAddress, only: string[] | undefined): boolean {
  return !only || only.length === 0 || only.includes(address.allocationId) || only.includes(address.publicIp)
}

/** Why the holder no longer deserves the address, or undefined when it does (or when we cannot tell). */
function holderProblem(address: ElasticAddress, byId: Map<string, ProxyInstance>, health: Record<string, Health>): string | undefined {
  if (!address.instanceId) return 'not attached'
  const holder = byId.get(address.instanceId)
  if (!holder) return `holder ${address.instanceId} is not a proxy of this cluster`
  if (holder.state !== 'running') return `holder ${holder.id} is ${holder.state}`
  const judged = health[holder.id] ?? 'unknown'
  if (judged === 'unhealthy') return `holder ${holder.id} is unhealthy`
  return undefined
}

/** Accounting shared by both planners: the budget and the alerts it turns moves into. */
class PlanBuilder {
  readonly actions: FailoverAction[] = []
  readonly notes: string[] = []
  private budget: number

  constructor(private readonly policy: FailoverPolicy) {
    this.budget = remapsLeft(policy)
  }

  /** Plan one association, or an alert when the hourly budget is spent. Returns whether it was planned. */
  associate(address: ElasticAddress, target: ProxyInstance, reason: string): boolean {
    if (this.budget <= 0) {
      this.actions.push({
        kind: 'alert',
        allocationId: address.allocationId,
        message: `remap budget spent (${this.policy.maxRemapsPerHour} per hour): ${address.publicIp} not moved to ${target.id} (${reason})`,
      })
      return false
    }
    this.budget--
    this.actions.push({
      kind: 'associate',
      allocationId: address.allocationId,
      publicIp: address.publicIp,
      ...(address.instanceId ? {from: address.instanceId} : {}),
      to: target.id,
      toZone: target.zone,
      reason,
    })
    return true
  }

  alert(message: string, allocationId?: string): void {
    this.actions.push({kind: 'alert', message, ...(allocationId ? {allocationId} : {})})
  }

  plan(): FailoverPlan {
    return {actions: this.actions, notes: this.notes}
  }
}

function eipCounts(view: ObservedPool): Map<string, number> {
  const counts = new Map<string, number>()
  for (const a of view.addresses) if (a.instanceId) counts.set(a.instanceId, (counts.get(a.instanceId) ?? 0) + 1)
  return counts
}

function zoneLoad(candidates: Candidate[], zone: string): number {
  return candidates.filter((c) => c.proxy.zone === zone).reduce((n, c) => n + c.eips, 0)
}

/** The best home for an address leaving `fromZone`: fewest EIPs, another zone, emptiest zone, then id. */
function pickTarget(candidates: Candidate[], fromZone: string | undefined): Candidate | undefined {
  const key = (c: Candidate): [number, number, number, string] => [c.eips, c.proxy.zone === fromZone ? 1 : 0, zoneLoad(candidates, c.proxy.zone), c.proxy.id]
  return [...candidates].sort((x, y) => compareKeys(key(x), key(y)))[0]
}

function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1
    if (a[i] > b[i]) return 1
  }
  return 0
}

/** Proxies that may receive an address now, with the EIPs they hold. */
function eligibleTargets(view: ObservedPool, policy: FailoverPolicy, builder: PlanBuilder, among = view.proxies): Candidate[] {
  const counts = eipCounts(view)
  const out: Candidate[] = []
  for (const proxy of among) {
    if (!isHealthyNow(proxy, view.health)) continue
    if (isHeldDown(proxy.id, policy)) {
      builder.notes.push(`${proxy.id} is healthy but in its hold-down after losing an address; it gets none yet`)
      continue
    }
    out.push({proxy, eips: counts.get(proxy.id) ?? 0})
  }
  return out
}

/** A forced target (--to) must exist and be healthy now; hold-down does not apply to an operator's choice. */
function forcedTarget(view: ObservedPool, policy: FailoverPolicy, builder: PlanBuilder): Candidate | undefined | false {
  if (!policy.to) return undefined
  const proxy = view.proxies.find((p) => p.id === policy.to || p.name === policy.to)
  if (!isHealthyNow(proxy, view.health)) {
    builder.alert(`target ${policy.to} is not a running, healthy proxy of this cluster: nothing moved to it`)
    return false
  }
  return {proxy: proxy as ProxyInstance, eips: eipCounts(view).get((proxy as ProxyInstance).id) ?? 0}
}

function partial(): FailoverPlan {
  return {actions: [], notes: ['the view of the cloud is incomplete (a describe call failed): acting on nothing']}
}

/**
 * Move every address whose holder is not healthy (stopped, unhealthy, gone,
 * or no holder at all) to a healthy proxy. Addresses on healthy holders, or
 * on holders whose health is unknown, stay where they are.
 */
export function planFailover(view: ObservedPool, policy: FailoverPolicy): FailoverPlan {
  if (!view.complete) return partial()
  const builder = new PlanBuilder(policy)
  const byId = new Map(view.proxies.map((p) => [p.id, p]))
  const forced = forcedTarget(view, policy, builder)
  if (forced === false) return builder.plan()
  const pool = policy.topology === 'pool' ? eligibleTargets(view, policy, builder) : []

  for (const address of [...view.addresses].sort((a, b) => a.publicIp.localeCompare(b.publicIp))) {
    if (!inScope(address, policy.only)) continue
    const problem = holderProblem(address, byId, view.health)
    if (!problem) {
      const holder = address.instanceId as string
      const judged = view.health[holder] ?? 'unknown'
      builder.notes.push(`${address.publicIp} stays on ${holder} (${judged})`)
      continue
    }
    const fromZone = address.instanceId ? byId.get(address.instanceId)?.zone : undefined
    let target: Candidate | undefined
    if (policy.topology === 'pairs') {
      const pair = address.tags[PAIR_TAG]
      const members = view.proxies.filter((p) => pair !== undefined && p.tags[PAIR_TAG] === pair)
      if (forced && !members.some((m) => m.id === forced.proxy.id)) {
        builder.alert(`${policy.to} is not in pair ${pair ?? '(none)'}: ${address.publicIp} stays`, address.allocationId)
        continue
      }
      target = forced || pickTarget(eligibleTargets(view, policy, builder, members), fromZone)
      if (!target) {
        builder.alert(`${address.publicIp} (pair ${pair ?? 'untagged'}): ${problem}, and no healthy member of the pair can take it`, address.allocationId)
        continue
      }
    } else {
      target = forced || pickTarget(pool, fromZone)
      if (!target) {
        builder.alert(`${address.publicIp}: ${problem}, and no healthy proxy can take it`, address.allocationId)
        continue
      }
    }
    if (builder.associate(address, target.proxy, problem)) target.eips++
  }
  return builder.plan()
}

/**
 * One address per healthy proxy where possible, spread over zones, with as
 * few moves as it takes: addresses on unhealthy holders find a home first,
 * then one address at a time moves from the fullest proxy to the emptiest
 * while that narrows the spread, then from the fullest zone to the emptiest
 * between proxies of equal load. Pairs are kept by planFailover's rule.
 */
export function planRebalance(view: ObservedPool, policy: FailoverPolicy): FailoverPlan {
  if (!view.complete) return partial()
  if (policy.topology === 'pairs') return planFailover(view, {...policy, to: undefined})
  const builder = new PlanBuilder(policy)
  const byId = new Map(view.proxies.map((p) => [p.id, p]))
  const candidates = eligibleTargets(view, policy, builder)
  const home = new Map<string, Candidate>()
  const movable: ElasticAddress[] = []
  for (const address of [...view.addresses].sort((a, b) => a.publicIp.localeCompare(b.publicIp))) {
    const holder = candidates.find((c) => c.proxy.id === address.instanceId)
    if (holder) home.set(address.allocationId, holder)
    if (inScope(address, policy.only)) movable.push(address)
  }

  for (const address of movable) {
    if (home.has(address.allocationId)) continue
    const problem = holderProblem(address, byId, view.health)
    if (!problem) continue // health unknown or held down: leave it
    const target = pickTarget(candidates, address.instanceId ? byId.get(address.instanceId)?.zone : undefined)
    if (!target) {
      builder.alert(`${address.publicIp}: ${problem}, and no healthy proxy can take it`, address.allocationId)
      continue
    }
    if (builder.associate(address, target.proxy, problem)) {
      target.eips++
      home.set(address.allocationId, target)
    }
  }

  // Every move strictly lowers (sum of squared proxy loads, sum of squared zone loads), so this ends.
  for (;;) {
    const move = nextBalancingMove(candidates, movable, home)
    if (!move) break
    const {address, from, reason, to} = move
    if (!builder.associate(address, to.proxy, reason)) break
    from.eips--
    to.eips++
    home.set(address.allocationId, to)
  }
  if (builder.actions.length === 0) builder.notes.push('the pool is balanced: nothing to move')
  return builder.plan()
}

function nextBalancingMove(
  candidates: Candidate[],
  movable: ElasticAddress[],
  home: Map<string, Candidate>,
): {address: ElasticAddress; from: Candidate; to: Candidate; reason: string} | undefined {
  const movableOn = (c: Candidate): ElasticAddress | undefined => movable.find((a) => home.get(a.allocationId) === c)
  const byLoad = [...candidates].sort((x, y) => compareKeys([y.eips, x.proxy.id], [x.eips, y.proxy.id]))
  for (const from of byLoad) {
    const address = movableOn(from)
    if (!address) continue
    const to = pickTarget(
      candidates.filter((c) => c.eips + 1 < from.eips),
      from.proxy.zone,
    )
    if (to) return {address, from, to, reason: `${from.proxy.id} holds ${from.eips} addresses, ${to.proxy.id} ${to.eips}`}
  }
  for (const from of byLoad) {
    const address = movableOn(from)
    if (!address) continue
    const fromZoneLoad = zoneLoad(candidates, from.proxy.zone)
    const to = pickTarget(
      candidates.filter((c) => c.eips + 1 <= from.eips && zoneLoad(candidates, c.proxy.zone) + 1 < fromZoneLoad),
      from.proxy.zone,
    )
    if (to) {
      return {address, from, to, reason: `zone ${from.proxy.zone} holds ${fromZoneLoad} addresses, ${to.proxy.zone} ${zoneLoad(candidates, to.proxy.zone)}`}
    }
  }
  return undefined
}
