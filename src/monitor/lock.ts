/**
 * The local lock: overlapping cron runs of `hactl monitor --once` (or a loop
 * and a manual run) never act twice. A lock file next to the state file that
 * names its holder process; a holder that died (even by SIGKILL) holds
 * nothing, so a restarted monitor gets the lock at once (process/lock.ts).
 */
import {BusyError} from '../errors.js'
import {acquireLock, describeHolder, type Release} from '../process/lock.js'

export type {Release}

export interface LockOptions {
  /** Wait for the holder to finish instead of failing at once. */
  wait?: boolean
  /** Stops the wait (SIGTERM, SIGINT): lockState then rejects with a LockAbortedError, holding nothing. */
  signal?: AbortSignal
}

export async function lockState(stateFile: string, options: LockOptions = {}): Promise<Release> {
  return acquireLock(monitorLockPath(stateFile), {
    waitMs: options.wait ? Number.POSITIVE_INFINITY : 0,
    signal: options.signal,
    pollMs: [50, 500],
    busy: (error) =>
      new BusyError(`another monitor is running for this cluster (${error.holder ? describeHolder(error.holder) : 'lock'} holds ${error.lockPath})`, {
        cause: error,
        actions: ['Let it finish, or pass --wait to run after it. A monitor that died holds nothing: its lock is free at once.'],
      }),
  })
}

export function monitorLockPath(stateFile: string): string {
  return `${stateFile}.lock`
}
