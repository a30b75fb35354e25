/**
 * The moves lock: one observe → plan → move → record at a time per cluster on
 * this machine. `eip failover|rebalance|attach|detach`, `proxy terminate --force`
 * and every change of the pool or of its DNS record (`eip allocate|release`,
 * `dns publish`) take it for the command, the monitor for each round, so an
 * operator's move and the monitor's never cross, a publish never reads a pool
 * that a release is changing, and an operator can still move addresses
 * while the monitor service runs. (The monitor's own run lock, one monitor
 * per cluster, is another file: src/monitor/lock.ts.) Across machines the
 * DynamoDB lease does this job.
 */
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {BusyError} from '../errors.js'
import {barrier} from './barrier.js'

/** Run `fn` holding the lock of `stateFile`; wait up to `waitMs` for it, then exit 6. */
export async function withFailoverLock<T>(stateFile: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const {default: lockfile} = await import('proper-lockfile')
  await mkdir(path.dirname(stateFile), {recursive: true})
  // A holder refreshes it every 5 s; one that died is taken over after 10 s.
  // proper-lockfile keys its locks by the locked path, not the lock file: the monitor's run lock is on
  // the state file itself, so this one locks a name of its own.
  const take = (retries: number): Promise<() => Promise<void>> =>
    lockfile.lock(`${stateFile}.moves`, {
      realpath: false,
      lockfilePath: movesLockPath(stateFile),
      stale: 10_000,
      retries: {retries, factor: 1, minTimeout: 250, maxTimeout: 250},
    })
  let release: () => Promise<void>
  try {
    // One try first, so a wait is visible (to tests racing two commands) before it starts.
    release = await take(0).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ELOCKED') throw error
      await barrier('moves-lock.wait')
      return take(Math.max(1, Math.ceil(waitMs / 250)))
    })
  } catch (error) {
    // Only a held lock means busy; anything else (a read-only folder, say) is reported as it is.
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
    throw new BusyError(`another hactl (the monitor, a failover, a release or a DNS publish) is changing the addresses of this cluster (lock ${movesLockPath(stateFile)})`, {
      cause: error,
      actions: ['Wait for it to finish and run again; a lock left by a killed run is taken over after 10 s.'],
    })
  }
  try {
    await barrier('moves-lock.acquired')
    return await fn()
  } finally {
    await release().catch(() => undefined)
  }
}

export function movesLockPath(stateFile: string): string {
  return `${stateFile}.moves.lock`
}
