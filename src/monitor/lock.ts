/**
 * The local lock: overlapping cron runs of `hactl monitor --once` (or a loop
 * and a manual run) never act twice. A lock directory next to the state
 * file, kept fresh while held, taken over when its holder died.
 */
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {BusyError} from '../errors.js'

export type Release = () => Promise<void>

export interface LockOptions {
  /** Wait for the holder to finish instead of failing at once. */
  wait?: boolean
  /** Called if the lock is lost while held (its directory was removed or went stale). */
  onCompromised?: (error: Error) => void
}

/** The run lock's folder; its mtime is refreshed every 5 s while a monitor holds it. */
export function runLockPath(stateFile: string): string {
  return `${stateFile}.lock`
}

/** How long a held lock goes without a refresh before it counts as its holder's leftover. */
export const RUN_LOCK_STALE_MS = 10_000

export async function lockState(stateFile: string, options: LockOptions = {}): Promise<Release> {
  const lockfile = await import('proper-lockfile')
  await mkdir(path.dirname(stateFile), {recursive: true})
  try {
    return await lockfile.lock(stateFile, {
      realpath: false,
      lockfilePath: runLockPath(stateFile),
      // A holder refreshes the lock every stale/2; one that died is taken over after `stale`.
      stale: RUN_LOCK_STALE_MS,
      retries: options.wait ? {forever: true, minTimeout: 50, maxTimeout: 500, factor: 1.5} : 0,
      onCompromised: options.onCompromised ?? ((error) => { throw error }),
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new BusyError(`another monitor is running for this cluster (lock ${stateFile}.lock)`, {
        cause: error,
        actions: ['Let it finish, or pass --wait to run after it; a crashed holder is taken over after 10 s.'],
      })
    }
    throw error
  }
}
