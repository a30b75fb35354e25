/**
 * The monitor's converge step (`proxy.converge`, `proxy.convergeInterval`):
 * every interval it compares the running proxies' live configs with the
 * source, and at once for a proxy it has not seen before, so a new proxy is
 * pushed before the round plans any move to it. `new` pushes only to proxies
 * never pushed; `all` pushes drift back too. Drift is reported either way,
 * once when it appears or changes, and once when it is gone. Proxies never
 * pushed whose push has not succeeded are handed to the planner, which gives
 * them no address.
 *
 * The comparison and the push are the converge service's (injected: the
 * monitor sits below services); what is due, what is remembered and what is
 * said are decided here, by pure functions.
 */
import {createHash} from 'node:crypto'

import type {ProxyInstance} from '../cloud/provider.js'
import type {HactlEvent, Reporter} from '../events.js'

export type ConvergeMode = 'all' | 'new'

/** One proxy as the converge service saw it (services/converge.ts ConvergeHost). */
export interface ConvergeCheck {
  id: string
  host: string
  outcome: 'drift' | 'failed' | 'in-sync' | 'pushed'
  neverPushed: boolean
  status: string
  summary: string
  diff: string
  message?: string
}

/** Compare these proxies and push as `mode` says. */
export type ConvergeRunner = (proxies: readonly ProxyInstance[], mode: ConvergeMode) => Promise<readonly ConvergeCheck[]>

export interface DriftRecord {
  host: string
  /** `+2 -1 lines` and the like. */
  summary: string
  /** What `config diff` said: drift, missing, not-loaded. */
  status: string
  /** ms since the epoch: when it was first seen. */
  since: number
  /** Identifies this drift: a new digest is a change, reported again. */
  digest: string
}

export interface ConvergeState {
  /** When every running proxy was last compared. */
  checkedAt?: number
  /** Proxy ids compared at least once: one not in here is new, and compared at once. */
  seen: string[]
  /** Proxies whose live config differs from the source, as last reported. */
  drift: Record<string, DriftRecord>
  /** Proxies that could not be compared or pushed, as last reported. */
  failed: Record<string, {host: string; message: string; since: number}>
  /** Never pushed and not pushed yet: the planner gives them no address. */
  unpushed: string[]
}

export function emptyConvergeState(): ConvergeState {
  return {seen: [], drift: {}, failed: {}, unpushed: []}
}

/**
 * Which running proxies to compare this round: all of them when the interval
 * is up, else those never compared and those whose first push has not
 * succeeded yet (they wait for it to serve, so it is tried again at once). Pure.
 */
export function dueProxies(proxies: readonly ProxyInstance[], previous: ConvergeState, now: number, intervalMs: number): {proxies: ProxyInstance[]; full: boolean} {
  const running = proxies.filter((p) => p.state === 'running')
  const full = previous.checkedAt === undefined || now - previous.checkedAt >= intervalMs
  if (full) return {proxies: running, full}
  return {proxies: running.filter((p) => !previous.seen.includes(p.id) || previous.unpushed.includes(p.id)), full}
}

/**
 * The state after a comparison, and what to say about it: drift once per
 * change, its end once, a failure once per message, every push. Proxies no
 * longer in the cluster are forgotten. `population`: on the first full
 * comparison, every proxy there was; those are known from then on even when
 * they could not be reached (a monitor with no way in blocks nothing it found
 * running), while a proxy that appears later is known only once compared. Pure.
 */
export function recordConverge(
  previous: ConvergeState,
  checks: readonly ConvergeCheck[],
  present: readonly ProxyInstance[],
  at: {now: number; full: boolean; mode: ConvergeMode; population?: readonly string[]},
): {state: ConvergeState; events: HactlEvent[]} {
  const ids = new Set(present.map((p) => p.id))
  const keep = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(record).filter(([id]) => ids.has(id)))
  const reached = checks.filter((c) => c.status !== 'unreachable').map((c) => c.id)
  const state: ConvergeState = {
    checkedAt: at.full ? at.now : previous.checkedAt,
    seen: [...new Set([...previous.seen, ...(at.population ?? []), ...reached])].filter((id) => ids.has(id)),
    drift: keep(previous.drift),
    failed: keep(previous.failed),
    unpushed: previous.unpushed.filter((id) => ids.has(id)),
  }
  const events: HactlEvent[] = []
  for (const c of checks) {
    const data = {status: c.status, summary: c.summary, outcome: c.outcome, neverPushed: c.neverPushed}
    const wasDrift = state.drift[c.id]
    const wasFailed = state.failed[c.id]
    if (c.outcome === 'pushed') {
      events.push({level: 'info', code: 'converge.pushed', subject: c.id, message: `pushed the source config (${c.neverPushed ? 'never pushed before' : 'drift'}: ${c.summary})`, data})
    }
    if (c.outcome === 'drift') {
      const digest = createHash('sha256').update(`${c.status}\n${c.diff}`).digest('hex').slice(0, 16)
      if (wasDrift?.digest !== digest) {
        const left = at.mode === 'new' ? 'left as it is (proxy.converge: new); `hactl config diff` shows it' : 'not pushed back'
        events.push({level: 'warn', code: 'converge.drift', subject: c.id, message: `live config differs from the source (${c.summary}): ${left}`, data: {...data, diff: c.diff}})
      }
      state.drift[c.id] = {host: c.host, summary: c.summary, status: c.status, since: wasDrift?.since ?? at.now, digest}
    } else if (c.outcome !== 'failed' && wasDrift) {
      delete state.drift[c.id]
      if (c.outcome === 'in-sync') events.push({level: 'info', code: 'converge.resolved', subject: c.id, message: 'live config is the source again', data})
    }
    if (c.outcome === 'failed') {
      const message = c.message ?? c.summary
      if (wasFailed?.message !== message) events.push({level: 'error', code: 'converge.failed', subject: c.id, message, data})
      state.failed[c.id] = {host: c.host, message, since: wasFailed?.since ?? at.now}
    } else if (wasFailed) {
      delete state.failed[c.id]
    }
    // Out of reach says nothing on whether it was pushed: what was known stands.
    if (c.status === 'unreachable') continue
    const unpushed = c.neverPushed && c.outcome !== 'pushed'
    state.unpushed = unpushed ? [...new Set([...state.unpushed, c.id])] : state.unpushed.filter((id) => id !== c.id)
  }
  return {state, events}
}

/**
 * The proxies the planner must give no address: never pushed and not pushed
 * yet, and running proxies that appeared after the first comparison and have
 * not been compared (a new proxy is pushed before traffic). Pure.
 */
export function unpushedProxies(state: ConvergeState, proxies: readonly ProxyInstance[]): string[] {
  const pending = state.checkedAt === undefined ? [] : proxies.filter((p) => p.state === 'running' && !state.seen.includes(p.id)).map((p) => p.id)
  return [...new Set([...state.unpushed, ...pending])]
}

interface Finished {
  checks?: readonly ConvergeCheck[]
  error?: Error
  at: number
  full: boolean
  population?: string[]
}

/**
 * Runs the comparisons for the rounds. In the background by default: a push
 * takes seconds (validate, reload, check) and a round must not wait for it
 * to move an address off a dead proxy; a round takes what the last
 * comparison found and starts the next when one is due. `wait` (a `--once`
 * run) compares within the round.
 */
export class ConvergeWorker {
  private running?: Promise<void>
  private finished?: Finished

  constructor(
    private readonly settings: {mode: ConvergeMode; intervalMs: number; wait?: boolean},
    private readonly run: ConvergeRunner,
  ) {}

  /** After the round's describe, before it plans: the state to keep and the proxies the planner must pass over. */
  async step(proxies: readonly ProxyInstance[], previous: ConvergeState | undefined, now: number, reporter: Reporter): Promise<{state: ConvergeState; unpushed: string[]}> {
    let state = this.take(previous ?? emptyConvergeState(), proxies, reporter)
    if (!this.running) {
      const due = dueProxies(proxies, state, now, this.settings.intervalMs)
      if (due.proxies.length > 0) {
        const population = state.checkedAt === undefined ? proxies.map((p) => p.id) : undefined
        this.running = this.run(due.proxies, this.settings.mode).then(
          (checks) => void (this.finished = {checks, at: now, full: due.full, population}),
          (error: Error) => void (this.finished = {error, at: now, full: due.full}),
        )
        if (this.settings.wait) {
          await this.running
          state = this.take(state, proxies, reporter)
        }
      }
    }
    return {state, unpushed: unpushedProxies(state, proxies)}
  }

  /** Wait for a comparison in flight (the monitor stopping); its result is dropped. */
  async settle(): Promise<void> {
    await this.running
  }

  private take(state: ConvergeState, proxies: readonly ProxyInstance[], reporter: Reporter): ConvergeState {
    const done = this.finished
    if (!done) return state
    this.finished = undefined
    this.running = undefined
    if (done.error || !done.checks) {
      reporter.emit({level: 'error', code: 'converge.failed', message: `cannot compare the proxies' configs with the source: ${done.error?.message ?? 'no answer'}`})
      // Tried again at the next interval, not every round.
      return done.full ? {...state, checkedAt: done.at} : state
    }
    const {state: next, events} = recordConverge(state, done.checks, proxies, {now: done.at, full: done.full, mode: this.settings.mode, population: done.population})
    for (const event of events) reporter.emit(event)
    return next
  }
}
