/**
 * `failover.replace`: which dead proxies the monitor replaces, and where each
 * replacement in flight stands. Pure: the round's view and the remembered
 * state in, the new state and what to do out, so every safety rule has its
 * own test and a restarted monitor resumes from the state file alone.
 *
 * A replacement goes launch → push → rise → move → terminate:
 * - launch: a new proxy in the dead one's zone (pairs: tagged into its pair).
 *   The intent is recorded one round before the launch is issued, so a
 *   monitor that dies between the two finds the launched proxy again
 *   (adoptLaunched) instead of launching a second one;
 * - push: the current source config goes to it (the rollout for one host);
 * - rise: its probe must pass `rise` times, as any proxy's;
 * - move: the addresses the pool needs go back to it, verified, within the
 *   remap budget (pool: what the dead one held; pairs: the pair's address
 *   only when no live member of the pair holds it);
 * - terminate: the dead one, when the cloud still has it.
 *
 * Safety: at most one replacement in flight per zone; none started while
 * more than half of the proxies the monitor knows look dead (that is more
 * likely the monitor's own view failing than the fleet): one alert instead.
 * A proxy that vanished (terminated) is replaced only while the cluster has
 * fewer live proxies than it wants, so a scale-down is not undone.
 */
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {TAG} from '../cloud/tags.js'
import type {Health} from '../health/judge.js'

export type ReplaceStep = 'launch' | 'push' | 'rise' | 'move' | 'terminate'

export const REPLACE_STEPS: readonly ReplaceStep[] = ['launch', 'push', 'rise', 'move', 'terminate']

/** A proxy the monitor has seen: enough to put another in its place once it is gone. */
export interface KnownProxy {
  zone: string
  name?: string
  pair?: string
  /** Allocation ids it held the last time it was seen alive. */
  held: string[]
}

export interface Replacement {
  /** The dead proxy's id. */
  dead: string
  deadName?: string
  zone: string
  pair?: string
  /** Why it is replaced: terminated, stopped, failing its probes. */
  why: string
  step: ReplaceStep
  /** Allocation ids the replacement must hold before the dead one goes. */
  addresses: string[]
  /** ms since the epoch. */
  startedAt: number
  stepSince: number
  replacement?: string
  replacementName?: string
  /** Failed tries of the current step (a push the new proxy refused, a launch the cloud refused). */
  attempts: number
  /** When each step began (`dead`: first seen dead; `done`: finished), ms since the epoch. */
  times?: Record<string, number>
  /** Addresses whose move back waits for the remap budget. */
  waiting?: string[]
}

export interface ReplaceState {
  known: Record<string, KnownProxy>
  /** Proxy id → since when it has looked dead. */
  deadSince: Record<string, number>
  inFlight: Replacement[]
}

export interface ReplaceSettings {
  afterMs: number
  topology: 'pairs' | 'pool'
  /** Live proxies the cluster wants: proxy.instances.count, or two per address in pairs. */
  wanted: number
}

export interface ReplaceView {
  /** false: a describe failed; the view says nothing about who is gone. */
  complete: boolean
  proxies: ProxyInstance[]
  addresses: ElasticAddress[]
  /** The rise/fall verdict of this round, by id. */
  health: Record<string, Health>
}

export interface ReplacePlan {
  state: ReplaceState
  /** Replacements decided this round (already in state.inFlight, at step launch). */
  started: Replacement[]
  /** Launches of an earlier round that a restarted monitor found again. */
  adopted: Replacement[]
  /** The guard's alert while it holds (more than half look dead); undefined when clear. */
  guard?: string
  notes: string[]
}

export function emptyReplaceState(): ReplaceState {
  return {known: {}, deadSince: {}, inFlight: []}
}

const GONE: ReadonlySet<ProxyInstance['state']> = new Set(['stopped', 'stopping', 'shutting-down', 'terminated'])

/** Why a proxy the monitor knows looks dead now, or undefined when it does not. */
export function deathOf(id: string, view: ReplaceView): string | undefined {
  const proxy = view.proxies.find((p) => p.id === id)
  if (!proxy) return 'terminated'
  if (GONE.has(proxy.state)) return proxy.state
  if (view.health[id] === 'unhealthy') return 'failing its probes'
  return undefined
}

/** Terminated, or on its way there: someone ended it, or the cloud lost it. */
function leaving(id: string, view: ReplaceView): boolean {
  const proxy = view.proxies.find((p) => p.id === id)
  return !proxy || proxy.state === 'shutting-down' || proxy.state === 'terminated'
}

function pairOf(proxy: ProxyInstance): string | undefined {
  return proxy.tags[TAG.pair] || undefined
}

/**
 * A launch issued by an earlier run whose result was never recorded: a proxy
 * in the zone (and pair) that the monitor did not know before, launched after
 * the replacement started.
 */
export function adoptLaunched(r: Replacement, view: ReplaceView, knownBefore: Record<string, KnownProxy>, taken: ReadonlySet<string>): ProxyInstance | undefined {
  return view.proxies.find(
    (p) =>
      !(p.id in knownBefore) &&
      !taken.has(p.id) &&
      !GONE.has(p.state) &&
      p.zone === r.zone &&
      (r.pair === undefined || pairOf(p) === r.pair) &&
      (p.launchedAt === undefined || Date.parse(p.launchedAt) >= r.startedAt - 1000),
  )
}

export function planReplace(previous: ReplaceState | undefined, view: ReplaceView, settings: ReplaceSettings, now: number): ReplacePlan {
  const before = previous ?? emptyReplaceState()
  const notes: string[] = []
  if (!view.complete) return {state: before, started: [], adopted: [], notes: ['partial view: no replacement decided']}

  const inFlight = before.inFlight.map((r) => ({...r}))
  const replacing = new Set(inFlight.flatMap((r) => (r.replacement ? [r.replacement] : [])))
  const adopted: Replacement[] = []
  for (const r of inFlight) {
    if (r.step !== 'launch' || r.replacement) continue
    const found = adoptLaunched(r, view, before.known, replacing)
    if (!found) continue
    Object.assign(r, {replacement: found.id, replacementName: found.name, step: 'push' as const, stepSince: now, attempts: 0})
    replacing.add(found.id)
    adopted.push(r)
  }

  // Everyone seen this round becomes known; what a live proxy holds is what its replacement will need.
  const known: Record<string, KnownProxy> = {...before.known}
  const deadSince: Record<string, number> = {}
  for (const p of view.proxies) {
    const held = view.addresses.filter((a) => a.instanceId === p.id).map((a) => a.allocationId)
    const was = known[p.id]
    const dead = deathOf(p.id, view) !== undefined
    known[p.id] = {zone: p.zone, ...(p.name ? {name: p.name} : {}), ...(pairOf(p) ? {pair: pairOf(p)} : {}), held: dead && was ? was.held : held}
  }
  for (const id of Object.keys(known)) {
    if (replacing.has(id)) continue
    if (deathOf(id, view) !== undefined) deadSince[id] = before.deadSince[id] ?? now
  }

  const live = view.proxies.filter((p) => deathOf(p.id, view) === undefined && !replacing.has(p.id)).length
  const deadIds = Object.keys(deadSince)
  const inFlightDead = new Set(inFlight.map((r) => r.dead))
  // A terminated proxy nobody replaces and the cluster does not miss (scaled down): forgotten.
  for (const id of deadIds) {
    if (leaving(id, view) && !inFlightDead.has(id) && live + inFlight.length >= settings.wanted) {
      notes.push(`${known[id]?.name ?? id} is gone and the cluster has the ${settings.wanted} proxies it wants: not replaced`)
      delete known[id]
      delete deadSince[id]
    }
  }

  const counted = Object.keys(known).filter((id) => !replacing.has(id))
  const deadNow = Object.keys(deadSince)
  let guard: string | undefined
  if (counted.length > 0 && deadNow.length * 2 > counted.length) {
    guard = `${deadNow.length} of ${counted.length} proxies look dead at once (${deadNow.map((id) => known[id]?.name ?? id).join(', ')}): replacing none, this monitor's own view may be failing; check the proxies and replace them by hand if they are really gone`
  }

  const started: Replacement[] = []
  const busyZones = new Set(inFlight.map((r) => r.zone))
  for (const id of deadNow.sort((a, b) => (deadSince[a] ?? 0) - (deadSince[b] ?? 0) || a.localeCompare(b))) {
    if (guard) break
    if (inFlightDead.has(id)) continue
    const since = deadSince[id] ?? now
    const info = known[id]
    if (!info) continue
    const name = info.name ?? id
    if (now - since < settings.afterMs) {
      notes.push(`${name} looks dead since ${new Date(since).toISOString()}: replaced after ${settings.afterMs} ms`)
      continue
    }
    if (busyZones.has(info.zone)) {
      notes.push(`${name}: a replacement is already in flight in ${info.zone}; waiting for it`)
      continue
    }
    if (settings.topology === 'pairs' && info.pair) {
      const members = view.proxies.filter((p) => pairOf(p) === info.pair && deathOf(p.id, view) === undefined).length
      const coming = inFlight.filter((r) => r.pair === info.pair).length
      if (members + coming >= 2) {
        notes.push(`${name}: ${info.pair} already has two live members`)
        continue
      }
    }
    if (leaving(id, view) && live + inFlight.length >= settings.wanted) continue
    const why = deathOf(id, view) ?? 'dead'
    const r: Replacement = {
      dead: id,
      ...(info.name ? {deadName: info.name} : {}),
      zone: info.zone,
      ...(info.pair ? {pair: info.pair} : {}),
      why,
      step: 'launch',
      addresses: neededAddresses(settings.topology, info, view),
      startedAt: now,
      stepSince: now,
      attempts: 0,
    }
    inFlight.push(r)
    started.push(r)
    busyZones.add(info.zone)
  }
  return {state: {known, deadSince, inFlight}, started, adopted, ...(guard ? {guard} : {}), notes}
}

/**
 * What the replacement must hold before the dead proxy goes. Pool: what the
 * dead one held (one address a proxy: the spread comes back). Pairs: the
 * pair's address, but the partner keeps it while it holds it alive (moving it
 * would be an outage for nothing); decided again at the move step.
 */
function neededAddresses(topology: ReplaceSettings['topology'], info: KnownProxy, view: ReplaceView): string[] {
  if (topology === 'pairs') return view.addresses.filter((a) => info.pair !== undefined && a.tags[TAG.pair] === info.pair).map((a) => a.allocationId)
  return [...info.held]
}

export interface PlannedMove {
  allocationId: string
  publicIp: string
  from?: string
  to: string
}

/**
 * The move step: which of the replacement's addresses still have to go to it,
 * and how many of the moves off another proxy the budget allows now. Attaching
 * a free address is no remap and always allowed.
 */
export function planMoves(
  r: Replacement,
  view: ReplaceView,
  topology: ReplaceSettings['topology'],
  budget: {used: number; max: number},
): {moves: PlannedMove[]; waiting: PlannedMove[]} {
  const to = r.replacement
  if (!to) return {moves: [], waiting: []}
  const wanted: PlannedMove[] = []
  for (const id of r.addresses) {
    const a = view.addresses.find((x) => x.allocationId === id)
    if (!a || a.instanceId === to) continue
    if (topology === 'pairs' && a.instanceId && a.instanceId !== r.dead && deathOf(a.instanceId, view) === undefined) continue
    wanted.push({allocationId: a.allocationId, publicIp: a.publicIp, ...(a.instanceId ? {from: a.instanceId} : {}), to})
  }
  let left = Math.max(0, budget.max - budget.used)
  const moves: PlannedMove[] = []
  const waiting: PlannedMove[] = []
  for (const m of wanted) {
    if (!m.from) moves.push(m)
    else if (left > 0) {
      moves.push(m)
      left--
    } else waiting.push(m)
  }
  return {moves, waiting}
}

/** A short line for `status` and events: what is replaced, by what, at which step. */
export function describeReplacement(r: Replacement, now: number): string {
  // Ids only: the human log and `status` show them by name while the proxy is listed, JSON keeps the names in data.
  const by = r.replacement ? ` by ${r.replacement}` : ''
  const step = {launch: 'launching', push: 'pushing the config', rise: 'waiting for its probe to pass', move: 'moving its addresses back', terminate: 'terminating the dead one'}[r.step]
  return `replacing ${r.dead} (${r.deadName ? `${r.deadName}, ` : ''}${r.why}) in ${r.zone}${r.pair ? ` (${r.pair})` : ''}${by}: ${step}, for ${Math.max(0, Math.round((now - r.startedAt) / 1000))} s`
}
