/**
 * The monitor: one round (`--once`, for cron) or rounds until SIGTERM/SIGINT.
 * The local lock is held for the whole run; the state is read once and
 * written after every round. A round that ran long is followed at once by the
 * next: the loop waits only what is left of the interval, or of a quarter of
 * it while a proxy that refused its probe is short of `fall` (see confirmSoon).
 */
import {setTimeout as delay} from 'node:timers/promises'

import {BusyError} from '../errors.js'
import {withFailoverLock} from '../failover/lock.js'
import type {FailoverPlan} from '../failover/planner.js'
import {LockAbortedError} from '../process/lock.js'
import type {RoundLog} from './events.js'
import {lockState, type Release} from './lock.js'
import {runRound, type MonitorDeps, type MonitorSettings, type RoundOutcome} from './round.js'
import {readState, writeState, type MonitorState} from './state.js'

export interface MonitorOptions {
  once: boolean
  intervalMs: number
  stateFile: string
  /** Wait for the lock instead of failing with exit 6. */
  wait?: boolean
  /** Stop after this many rounds (tests, benchmarks). */
  rounds?: number
  /** Keep the state file as it was (--dry-run). */
  readOnly?: boolean
  /** How long a round waits for an operator's move to finish before it is skipped (default 30 s). */
  movesLockWaitMs?: number
  /** The wait before a round that confirms a refused proxy (default a quarter of the interval). */
  confirmIntervalMs?: number
  signal?: AbortSignal
}

/** A round that found the moves lock held past its wait is skipped, not fatal: the next round tries again. */
function busyRound(log: RoundLog): (error: unknown) => undefined {
  return (error) => {
    if (!(error instanceof BusyError)) throw error
    log.emit({level: 'warn', code: 'monitor.busy', message: `round skipped: ${error.message}`})
    return undefined
  }
}

/**
 * Whether the next round should come early: a proxy that is not yet
 * unhealthy has failed its last probe (and fewer than `fall` in a row), and
 * that probe was answered (refused, reset, a wrong status), which is what a
 * dead proxy looks like. Its next probes then come a quarter of the interval
 * apart, as HAProxy's `fastinter`: fall still counts consecutive failures,
 * and a proxy that dies is confirmed in interval/4 instead of a whole
 * interval. A timed-out probe waits the whole interval, since a busy machine
 * makes every probe late at once and must not confirm itself.
 */
export function confirmSoon(state: MonitorState, answered: ReadonlySet<string>): boolean {
  return Object.entries(state.counters).some(([id, counter]) => counter.failures > 0 && counter.health !== 'unhealthy' && answered.has(id))
}

export interface MonitorResult {
  rounds: number
  last?: RoundOutcome
  lastPlan?: FailoverPlan
  /** Something the monitor could not heal: an alert (budget spent, no healthy target) or a failed action. */
  degraded: boolean
  state: MonitorState
}

export async function runMonitor(
  options: MonitorOptions,
  settings: MonitorSettings,
  deps: Omit<MonitorDeps, 'reporter' | 'stopping'> & {
    log: RoundLog
    /** The proxies whose last probe was answered with a failure (src/health/judges.ts answeredFailures). */
    answered?: () => ReadonlySet<string>
  },
): Promise<MonitorResult> {
  const {log} = deps
  const stopping = (): boolean => options.signal?.aborted ?? false
  let release: Release
  try {
    release = await lockState(options.stateFile).catch((error: unknown) => {
      if (!options.wait || !(error instanceof BusyError)) throw error
      log.emit({level: 'info', code: 'monitor.waiting', message: `${error.message}; waiting for it (--wait)`})
      return lockState(options.stateFile, {wait: true, signal: options.signal})
    })
  } catch (error) {
    if (!(error instanceof LockAbortedError)) throw error
    // SIGTERM/SIGINT while --wait waited: stop now, holding nothing and having done nothing.
    log.emit({level: 'info', code: 'monitor.stop', message: 'stopped by signal while waiting for the lock; no round ran'})
    return {rounds: 0, degraded: false, state: await readState(options.stateFile)}
  }
  const run = Date.now().toString(36)
  let state = await readState(options.stateFile)
  let rounds = 0
  let last: RoundOutcome | undefined
  let lastPlan: FailoverPlan | undefined
  try {
    log.round = `${run}-0`
    log.emit({level: 'info', code: 'monitor.start', message: options.once ? 'one round' : `a round every ${options.intervalMs} ms`, data: {interval: options.intervalMs, once: options.once}})
    for (;;) {
      const started = performance.now()
      log.round = `${run}-${++rounds}`
      const round = async (): Promise<Awaited<ReturnType<typeof runRound>>> => {
        // Re-read: between rounds an operator's `eip failover` may have moved addresses and recorded them.
        if (!options.readOnly) state = await readState(options.stateFile)
        const outcome = await runRound(state, log.round, settings, {...deps, reporter: log, stopping})
        if (!options.readOnly) await writeState(options.stateFile, {...outcome.state, run: {intervalMs: options.intervalMs, once: options.once}})
        return outcome
      }
      const result = options.readOnly ? await round() : await withFailoverLock(options.stateFile, round, options.movesLockWaitMs).catch(busyRound(log))
      if (result) {
        state = result.state
        last = result.outcome
        lastPlan = result.plan
      }
      // With --verbose: how long each round took, to see whether rounds outrun the interval.
      log.emit({level: 'debug', code: 'monitor.round', message: `round took ${(performance.now() - started).toFixed(1)} ms`, data: {ms: Math.round((performance.now() - started) * 10) / 10}})
      if (options.once || stopping() || (options.rounds !== undefined && rounds >= options.rounds)) break
      const soon = result !== undefined && deps.answered !== undefined && confirmSoon(result.state, deps.answered())
      const wait = soon ? (options.confirmIntervalMs ?? Math.round(options.intervalMs / 4)) : options.intervalMs
      const left = wait - (performance.now() - started)
      if (left > 0) await delay(left, undefined, {signal: options.signal}).catch(() => undefined)
      if (stopping()) break
    }
    log.emit({level: 'info', code: 'monitor.stop', message: stopping() ? 'stopped by signal after finishing the round' : `done after ${rounds} round(s)`})
  } finally {
    if (!options.once) await deps.lease?.release().catch(() => undefined)
    await release().catch(() => undefined)
  }
  return {rounds, last, lastPlan, degraded: last !== undefined && (last.alerts > 0 || last.failed > 0), state}
}
