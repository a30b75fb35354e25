/**
 * Ask again until an answer is good enough or a deadline passes: the one loop
 * behind every "wait until …" (an association visible, a change in sync, a
 * process listening, a lock free). Pauses grow by `factor` up to `maxDelayMs`
 * and never run past the deadline; the last try is made at the deadline, so
 * a bounded wait is never shorter than asked.
 */
import {setTimeout as sleep} from 'node:timers/promises'

export interface PollOptions<T> {
  /** Give up after this long; Infinity waits until `signal`. */
  timeoutMs: number
  /** First pause between tries (default 100 ms). */
  delayMs?: number
  /** Longest pause (default: delayMs, no growth). */
  maxDelayMs?: number
  /** Growth of the pause after each try (default 2). */
  factor?: number
  /** Before each pause, with the answer that was not good enough (progress lines). */
  onRetry?: (value: T, pauseMs: number) => Promise<void> | void
  /** Stops the wait: poll then rejects with the signal's reason. */
  signal?: AbortSignal
}

export interface PollResult<T> {
  /** The last answer. */
  value: T
  /** `done` said yes to it; false when the deadline passed first. */
  done: boolean
  tries: number
}

export async function poll<T>(attempt: () => Promise<T> | T, done: (value: T) => boolean, options: PollOptions<T>): Promise<PollResult<T>> {
  const deadline = Date.now() + options.timeoutMs
  const maxDelay = Math.max(options.delayMs ?? 100, options.maxDelayMs ?? options.delayMs ?? 100)
  let pause = options.delayMs ?? 100
  for (let tries = 1; ; tries++) {
    options.signal?.throwIfAborted()
    const value = await attempt()
    if (done(value)) return {value, done: true, tries}
    const left = deadline - Date.now()
    if (left <= 0) return {value, done: false, tries}
    const wait = Math.min(pause, left)
    await options.onRetry?.(value, wait)
    await sleep(wait, undefined, options.signal ? {signal: options.signal} : undefined)
    pause = Math.min(maxDelay, Math.ceil(pause * (options.factor ?? 2)))
  }
}
