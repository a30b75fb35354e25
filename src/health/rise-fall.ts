/**
 * The rise/fall state machine, pure: a target turns unhealthy after `fall`
 * consecutive failed probes and healthy after `rise` consecutive successes.
 * A fresh target is `unknown` until one of the two counts is reached. The
 * state is plain data so the monitor can keep it in its state file between
 * `--once` runs.
 */
import type {Health} from './judge.js'

export type {Health} from './judge.js'

export interface Counter {
  health: Health
  /** Consecutive results in the current direction. */
  successes: number
  failures: number
  /** When `health` last changed (ms since the epoch). */
  since: number
}

export interface Thresholds {
  rise: number
  fall: number
}

export interface Step {
  counter: Counter
  /** Set when this observation changed the health. */
  changed?: {from: Health; to: Health}
}

export function freshCounter(now: number): Counter {
  return {health: 'unknown', successes: 0, failures: 0, since: now}
}

/** Feed one observation; `undefined` (nothing could be observed) leaves the counter as it was. */
export function observe(counter: Counter, ok: boolean | undefined, now: number, thresholds: Thresholds): Step {
  if (ok === undefined) return {counter}
  const successes = ok ? counter.successes + 1 : 0
  const failures = ok ? 0 : counter.failures + 1
  let health = counter.health
  if (ok && successes >= thresholds.rise) health = 'healthy'
  if (!ok && failures >= thresholds.fall) health = 'unhealthy'
  if (health === counter.health) return {counter: {...counter, successes, failures}}
  return {counter: {health, successes, failures, since: now}, changed: {from: counter.health, to: health}}
}

/** Every target of one round through the machine; targets no longer present are dropped. */
export function observeAll(
  counters: Readonly<Record<string, Counter>>,
  results: Readonly<Record<string, boolean | undefined>>,
  now: number,
  thresholds: Thresholds,
): {counters: Record<string, Counter>; transitions: {target: string; from: Health; to: Health}[]} {
  const next: Record<string, Counter> = {}
  const transitions: {target: string; from: Health; to: Health}[] = []
  for (const [target, ok] of Object.entries(results)) {
    const step = observe(counters[target] ?? freshCounter(now), ok, now, thresholds)
    next[target] = step.counter
    if (step.changed) transitions.push({target, ...step.changed})
  }
  return {counters: next, transitions}
}
