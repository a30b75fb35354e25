/**
 * The failover planner: observed state in, actions out. Pure: no clock, no
 * I/O, no randomness, so `--dry-run` prints exactly what the executor would
 * run and every guard of DESIGN.md is a rule here with its own test.
 *
 * Guards:
 * - partial view: a failed describe means act on nothing;
 * - target health: an EIP only ever goes to a proxy that is running and
 *   judged healthy now;
 * - never pushed: nor to a proxy that never got the source config (a new
 *   instance answers its health check with the engine's own config);
 * - hold-down: a proxy that lost an EIP gets none until it has been healthy
 *   for `holdDownMs`, while another healthy proxy can take it; the hold-down
 *   damps flapping between healthy choices and never keeps an EIP on a dead
 *   proxy when a healthy one exists;
 * - budget: at most `maxRemapsPerHour` remaps per hour; past it, alerts.
 *   Attaching an unattached EIP moves nothing away from anyone: not a remap;
 * - spread: the target is the eligible proxy with the fewest EIPs, preferring
 *   another zone than the failed holder's, then the emptiest zone;
 * - pairs: each pair's EIP stays inside its pair, on the healthy member.
 */
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {TAG} from '../cloud/tags.js'
import type {Health} from '../health/judge.js'

export type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
export type {Health} from '../health/judge.js'

export interface ObservedPool {
  proxies: ProxyInstance[]
  addresses: ElasticAddress[]
  /** By instance id; missing = unknown. */
  health: Record<string, Health>
  /** false when a describe failed: act on nothing. */
  complete: boolean
  /** Instance ids never given the source config (services/converge.ts): healthy or not, no address goes to them. */
  unpushed?: readonly string[]
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
  /** `failover.rebalance`: whether the monitor spreads the pool back by itself (for messages). */
  rebalance?: 'auto' | 'manual'
}

export type FailoverAction =
  | {kind: 'alert'; message: string; allocationId?: string; incident?: string}
  | {kind: 'associate'; allocationId: string; publicIp: string; from?: string; to: string; toZone: string; reason: string}

export interface FailoverPlan {
  actions: FailoverAction[]
  notes: string[]
  /** The pool is not balanced and waits: for these proxies' hold-down, or for the remap budget, until `until`. */
  waiting?: RebalanceWait
}

export interface RebalanceWait {
  /** What it waits for. */
  for: 'budget' | 'hold-down' | 'health'
  /** Healthy proxies that hold no address (or fewer than they should). */
  proxies: string[]
  /** ms since the epoch; absent when it cannot be told (health settling). */
  until?: number
  message: string
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

/** Healthy now and serving the source config: a proxy an address may go to. */
export function mayReceive(proxy: ProxyInstance | undefined, view: Pick<ObservedPool, 'health' | 'unpushed'>): boolean {
  return isHealthyNow(proxy, view.health) && !(view.unpushed ?? []).includes((proxy as ProxyInstance).id)
}

/** Still inside its hold-down: lost an address less than holdDownMs ago, or healthy for less than that since. */
export function isHeldDown(id: string, policy: FailoverPolicy): boolean {
  const until = heldDownUntil(id, policy)
  return until !== undefined && policy.now < until
}

/** When a proxy that lost an address may get one again (undefined: it never lost one, no hold-down). */
export function heldDownUntil(id: string, policy: FailoverPolicy): number | undefined {
  const lost = policy.lostAt[id]
  if (lost === undefined) return undefined
  return Math.max(lost, policy.healthySince[id] ?? lost) + policy.holdDownMs
}

/**
 * When the monitor may move an address back onto an empty proxy on its own:
 * once the proxy has been healthy for the hold-down (and past its hold-down if
 * it lost an address). Undefined when the proxy's healthy time is not known.
 */
export function preemptReadyAt(id: string, policy: FailoverPolicy): number | undefined {
  const since = policy.healthySince[id]
  if (since === undefined) return undefined
  return Math.max(since + policy.holdDownMs, heldDownUntil(id, policy) ?? 0)
}

/** Remaps left in the hourly budget. */
export function remapsLeft(policy: FailoverPolicy): number {
  const used = policy.remaps.filter((r) => policy.now - r.at < HOUR_MS).length
  return Math.max(0, policy.maxRemapsPerHour - used)
}

/** When the next remap fits the hourly budget again (now when it already does). */
export function budgetFreeAt(policy: FailoverPolicy): number {
  if (remapsLeft(policy) > 0) return policy.now
  const window = policy.remaps.filter((r) => policy.now - r.at < HOUR_MS).map((r) => r.at).sort((a, b) => a - b)
  // The budget frees one slot when the oldest remap that keeps it full leaves the hour.
  const index = window.length - policy.maxRemapsPerHour
  return (window[Math.max(0, index)] ?? policy.now) + HOUR_MS
}

/** `12:00:03Z (in 42 s)`: when something the plan waits for happens. */
export function whenText(at: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((at - now) / 1000))
  return `${new Date(at).toISOString().slice(11, 19)}Z (in ${seconds} s)`
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

/** A pair's address on a proxy of another pair (or of none) serves the wrong pair: it goes back to its own. */
function outsidePair(address: ElasticAddress, byId: Map<string, ProxyInstance>): string | undefined {
  const pair = address.tags[PAIR_TAG]
  const holder = address.instanceId ? byId.get(address.instanceId) : undefined
  if (pair === undefined || !holder || holder.tags[PAIR_TAG] === pair) return undefined
  return `holder ${holder.id} is ${holder.tags[PAIR_TAG] ? `in ${holder.tags[PAIR_TAG]}` : 'in no pair'}, not in ${pair}`
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
    // A free address (newly allocated, or detached) is attached, not remapped: it costs no budget.
    const remap = address.instanceId !== undefined
    if (remap && this.budget <= 0) {
      this.actions.push({
        kind: 'alert',
        allocationId: address.allocationId,
        message: `remap budget spent (${this.policy.maxRemapsPerHour} per hour): ${address.publicIp} not moved to ${target.id} (${reason})`,
        incident: `remap budget spent: ${address.publicIp}`,
      })
      return false
    }
    if (remap) this.budget--
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

  /** `incident`: what stays the same while the alert is one incident (its details may change meanwhile). */
  alert(message: string, allocationId?: string, incident?: string): void {
    this.actions.push({kind: 'alert', message, ...(allocationId ? {allocationId} : {}), ...(incident ? {incident} : {})})
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

/** The best home for an address leaving `fromZone`: fewest EIPs, another zone, emptiest zone, then name and id (so a tie goes the same way every time, as an operator reading names expects). */
function pickTarget(candidates: Candidate[], fromZone: string | undefined, loadOf = (zone: string): number => zoneLoad(candidates, zone)): Candidate | undefined {
  const key = (c: Candidate): [number, number, number, string, string] => [c.eips, c.proxy.zone === fromZone ? 1 : 0, loadOf(c.proxy.zone), c.proxy.name ?? '', c.proxy.id]
  return [...candidates].sort((x, y) => compareKeys(key(x), key(y)))[0]
}

function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1
    if (a[i] > b[i]) return 1
  }
  return 0
}

interface Targets {
  /** Healthy and past any hold-down: the first choice. */
  ready: Candidate[]
  /** Healthy but in their hold-down: only for an address that no ready proxy can take. */
  held: Candidate[]
}

/** Proxies that may receive an address now, with the EIPs they hold. */
function eligibleTargets(view: ObservedPool, policy: FailoverPolicy, builder: PlanBuilder, among = view.proxies): Targets {
  const counts = eipCounts(view)
  const out: Targets = {ready: [], held: []}
  for (const proxy of among) {
    if (!mayReceive(proxy, view)) continue
    const candidate = {proxy, eips: counts.get(proxy.id) ?? 0}
    if (isHeldDown(proxy.id, policy)) {
      builder.notes.push(`${proxy.id} is healthy but in its hold-down after losing an address: it gets one only if no other healthy proxy can`)
      out.held.push(candidate)
      continue
    }
    out.ready.push(candidate)
  }
  return out
}

/**
 * A home for an address whose holder failed. The hold-down only chooses
 * between healthy proxies: when every healthy proxy is held down, the address
 * still leaves the dead one.
 */
function pickHome(targets: Targets, fromZone: string | undefined, loadOf?: (zone: string) => number): {target: Candidate; heldDown: boolean} | undefined {
  const ready = pickTarget(targets.ready, fromZone, loadOf)
  if (ready) return {target: ready, heldDown: false}
  const held = pickTarget(targets.held, fromZone, loadOf)
  return held ? {target: held, heldDown: true} : undefined
}

/** Why no proxy can take an address: each proxy (of the pair, in pairs) and what keeps it out. */
export function noTargetReason(view: ObservedPool, among: ProxyInstance[] = view.proxies): string {
  if (among.length === 0) return 'there is no proxy at all'
  const why = among.map((p) => {
    if (p.state !== 'running') return `${p.id} is ${p.state}`
    const judged = view.health[p.id] ?? 'unknown'
    if (judged === 'unhealthy') return `${p.id} is unhealthy`
    if (judged === 'unknown') return `${p.id} is not judged healthy yet (its latest probe failed or rise is not reached)`
    if (view.unpushed?.includes(p.id)) return `${p.id} never got the source config (the monitor or \`hactl config push\` pushes it)`
    return `${p.id} is ${judged}`
  })
  return why.join('; ')
}

/** A forced target (--to) must exist and be healthy now; hold-down does not apply to an operator's choice. */
function forcedTarget(view: ObservedPool, policy: FailoverPolicy, builder: PlanBuilder): Candidate | undefined | false {
  if (!policy.to) return undefined
  const proxy = view.proxies.find((p) => p.id === policy.to || p.name === policy.to)
  if (!isHealthyNow(proxy, view.health)) {
    builder.alert(`target ${policy.to} is not a running, healthy proxy of this cluster: nothing moved to it`)
    return false
  }
  if (!mayReceive(proxy, view)) {
    builder.alert(`target ${policy.to} never got the source config: nothing moved to it; push it first (\`hactl config push --hosts ${policy.to}\`)`)
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
  const pool = policy.topology === 'pool' ? eligibleTargets(view, policy, builder) : {ready: [], held: []}
  // Pairs: between two members, the one in the zone holding fewer of the cluster's addresses, so the active members spread over zones.
  const zoneHeld = new Map<string, number>()
  for (const a of view.addresses) {
    const zone = a.instanceId ? byId.get(a.instanceId)?.zone : undefined
    if (zone !== undefined) zoneHeld.set(zone, (zoneHeld.get(zone) ?? 0) + 1)
  }
  const heldIn = (zone: string): number => zoneHeld.get(zone) ?? 0

  for (const address of [...view.addresses].sort((a, b) => a.publicIp.localeCompare(b.publicIp))) {
    if (!inScope(address, policy.only)) continue
    const problem = holderProblem(address, byId, view.health) ?? (policy.topology === 'pairs' ? outsidePair(address, byId) : undefined)
    if (!problem) {
      const holder = address.instanceId as string
      const judged = view.health[holder] ?? 'unknown'
      builder.notes.push(`${address.publicIp} stays on ${holder} (${judged})`)
      continue
    }
    const fromZone = address.instanceId ? byId.get(address.instanceId)?.zone : undefined
    let home: {target: Candidate; heldDown: boolean} | undefined
    if (policy.topology === 'pairs') {
      const pair = address.tags[PAIR_TAG]
      const members = view.proxies.filter((p) => pair !== undefined && p.tags[PAIR_TAG] === pair)
      if (forced && !members.some((m) => m.id === forced.proxy.id)) {
        builder.alert(`${policy.to} is not in pair ${pair ?? '(none)'}: ${address.publicIp} stays`, address.allocationId)
        continue
      }
      home = forced ? {target: forced, heldDown: false} : pickHome(eligibleTargets(view, policy, builder, members), fromZone, heldIn)
      if (!home && pair === undefined) {
        builder.alert(
          `${address.publicIp} (pair untagged): ${problem}, and it belongs to no pair, so it is not moved: \`hactl proxy launch\` and \`hactl eip allocate\` put the cluster's proxies and addresses in pairs`,
          address.allocationId,
          `${address.publicIp}: ${problem}, in no pair`,
        )
        continue
      }
      if (!home) {
        builder.alert(
          `${address.publicIp} (pair ${pair}): ${problem}, and no healthy member of the pair can take it: ${noTargetReason(view, members)}`,
          address.allocationId,
          `${address.publicIp}: ${problem}, no healthy member of the pair can take it`,
        )
        continue
      }
    } else {
      home = forced ? {target: forced, heldDown: false} : pickHome(pool, fromZone)
      if (!home) {
        builder.alert(`${address.publicIp}: ${problem}, and no healthy proxy can take it: ${noTargetReason(view)}`, address.allocationId, `${address.publicIp}: ${problem}, no healthy proxy can take it`)
        continue
      }
    }
    const reason = home.heldDown ? `${problem} (${home.target.proxy.id} is in its hold-down, but no other healthy proxy can take it)` : problem
    if (builder.associate(address, home.target.proxy, reason)) {
      home.target.eips++
      if (fromZone !== undefined) zoneHeld.set(fromZone, heldIn(fromZone) - 1)
      zoneHeld.set(home.target.proxy.zone, heldIn(home.target.proxy.zone) + 1)
    }
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
  const targets = eligibleTargets(view, policy, builder)
  const candidates = targets.ready
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
    const found = pickHome(targets, address.instanceId ? byId.get(address.instanceId)?.zone : undefined)
    if (!found) {
      builder.alert(`${address.publicIp}: ${problem}, and no healthy proxy can take it: ${noTargetReason(view)}`, address.allocationId, `${address.publicIp}: ${problem}, no healthy proxy can take it`)
      continue
    }
    const reason = found.heldDown ? `${problem} (${found.target.proxy.id} is in its hold-down, but no other healthy proxy can take it)` : problem
    if (builder.associate(address, found.target.proxy, reason)) {
      found.target.eips++
      if (!found.heldDown) home.set(address.allocationId, found.target)
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
  const waiting = heldDownWait(targets, policy)
  if (waiting) builder.notes.unshift(waiting.message)
  else if (builder.actions.length === 0) builder.notes.push('the pool is balanced: nothing to move')
  return {...builder.plan(), ...(waiting ? {waiting} : {})}
}

/** Held-down proxies that hold at least two fewer addresses than another healthy proxy: the pool waits for them. */
function heldDownWait(targets: Targets, policy: FailoverPolicy): RebalanceWait | undefined {
  const all = [...targets.ready, ...targets.held]
  const fullest = [...all].sort((x, y) => compareKeys([y.eips, x.proxy.id], [x.eips, y.proxy.id]))[0]
  if (!fullest) return undefined
  const waiting = targets.held.filter((c) => c.eips + 2 <= fullest.eips)
  if (waiting.length === 0) return undefined
  const until = Math.min(...waiting.map((c) => heldDownUntil(c.proxy.id, policy) ?? policy.now))
  const names = waiting.map((c) => `${c.proxy.id} (${c.eips})`).join(', ')
  const then = policy.rebalance === 'manual' ? 'run `hactl eip rebalance` again then' : 'the monitor moves them back one at a time from then (failover.rebalance: auto), or run `hactl eip rebalance` again then'
  return {
    for: 'hold-down',
    proxies: waiting.map((c) => c.proxy.id),
    until,
    message: `not balanced yet: ${fullest.proxy.id} holds ${fullest.eips} addresses while ${names} wait out their hold-down after losing an address, until ${whenText(until, policy.now)}; ${then}`,
  }
}

/**
 * The monitor's own rebalance (`failover.rebalance: auto`), like keepalived's
 * preempt: once every address is on a healthy proxy, move one address from
 * the fullest healthy proxy (two or more) to a healthy proxy that holds none
 * and has been healthy for the hold-down. One move a round, within the
 * budget; nothing while anything else needs doing.
 */
export function planPreempt(view: ObservedPool, policy: FailoverPolicy): FailoverPlan {
  if (!view.complete) return partial()
  const builder = new PlanBuilder(policy)
  if (policy.topology !== 'pool') return builder.plan()
  const byId = new Map(view.proxies.map((p) => [p.id, p]))
  if (view.addresses.some((a) => holderProblem(a, byId, view.health) !== undefined)) return builder.plan()
  const outlook = rebalanceOutlook(view, policy)
  if (!outlook) return builder.plan()
  const ready = outlook.empty.filter((id) => (preemptReadyAt(id, policy) ?? Infinity) <= policy.now)
  if (ready.length === 0 || remapsLeft(policy) <= 0) {
    builder.notes.push(outlook.message)
    return builder.plan()
  }
  const from = byId.get(outlook.fullest) as ProxyInstance
  const counts = eipCounts(view)
  const to = pickTarget(
    ready.map((id) => ({proxy: byId.get(id) as ProxyInstance, eips: 0})),
    from.zone,
  ) as Candidate
  // The last of its addresses by IP: a stable choice, and the lower ones (often the ones watched) stay put.
  const address = [...view.addresses].sort((a, b) => b.publicIp.localeCompare(a.publicIp)).find((a) => a.instanceId === from.id) as ElasticAddress
  builder.associate(address, to.proxy, `rebalance: ${to.proxy.id} holds none, ${from.id} holds ${counts.get(from.id)}`)
  return builder.plan()
}

export interface RebalanceOutlook {
  /** Healthy proxies holding no address. */
  empty: string[]
  /** The proxy holding the most addresses (two or more). */
  fullest: string
  fullestHolds: number
  wait: RebalanceWait
  message: string
}

/**
 * Whether the pool is unbalanced (a healthy proxy holds nothing while another
 * holds two or more) and when the monitor will act on it. Undefined when balanced.
 */
export function rebalanceOutlook(view: ObservedPool, policy: FailoverPolicy): RebalanceOutlook | undefined {
  if (policy.topology !== 'pool') return undefined
  const counts = eipCounts(view)
  const healthy = view.proxies.filter((p) => mayReceive(p, view))
  const empty = healthy.filter((p) => !counts.get(p.id)).map((p) => p.id)
  const fullest = healthy.map((p) => ({id: p.id, n: counts.get(p.id) ?? 0})).sort((x, y) => compareKeys([y.n, x.id], [x.n, y.id]))[0]
  if (empty.length === 0 || !fullest || fullest.n < 2) return undefined
  const state = `${fullest.id} holds ${fullest.n} addresses while ${empty.join(', ')} ${empty.length === 1 ? 'holds' : 'hold'} none`
  let wait: RebalanceWait
  if (policy.rebalance === 'manual') {
    wait = {for: 'health', proxies: empty, message: `${state}; failover.rebalance is manual: run \`hactl eip rebalance\``}
  } else {
    const readyAt = empty.map((id) => preemptReadyAt(id, policy)).filter((t): t is number => t !== undefined)
    const at = Math.max(readyAt.length > 0 ? Math.min(...readyAt) : policy.now, budgetFreeAt(policy))
    if (readyAt.length === 0) {
      wait = {for: 'health', proxies: empty, message: `${state}; the monitor moves one back once it has seen ${empty.length === 1 ? 'it' : 'one of them'} healthy for the hold-down`}
    } else if (budgetFreeAt(policy) > Math.min(...readyAt)) {
      wait = {for: 'budget', proxies: empty, until: at, message: `${state}; the remap budget (${policy.maxRemapsPerHour} per hour) is spent: the monitor moves one back at ${whenText(at, policy.now)}`}
    } else {
      wait = {for: 'hold-down', proxies: empty, until: at, message: `${state}; the monitor moves one back after the hold-down, at ${whenText(at, policy.now)}`}
    }
  }
  return {empty, fullest: fullest.id, fullestHolds: fullest.n, wait, message: wait.message}
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
