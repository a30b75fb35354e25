/**
 * One actor per cluster on this machine: `eip failover`, `eip rebalance`,
 * `proxy terminate --force` and the monitor all take the lock of the
 * cluster's state file around describe → plan → move, so two of them (cron
 * overlap, an operator and the monitor) never both move an address. Across
 * machines the DynamoDB lease does the same job.
 */
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {BusyError} from '../errors.js'

/** Run `fn` holding the lock of `stateFile`; wait up to `waitMs` for it, then exit 6. */
export async function withFailoverLock<T>(stateFile: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const {default: lockfile} = await import('proper-lockfile')
  await mkdir(path.dirname(stateFile), {recursive: true})
  let release: () => Promise<void>
  try {
    // The same lock file and staleness as the monitor's (src/monitor/lock.ts): a holder refreshes it every 5 s.
    release = await lockfile.lock(stateFile, {
      realpath: false,
      lockfilePath: `${stateFile}.lock`,
      stale: 10_000,
      retries: {retries: Math.max(1, Math.ceil(waitMs / 250)), factor: 1, minTimeout: 250, maxTimeout: 250},
    })
  } catch (error) {
    throw new BusyError(`another hactl (a failover or the monitor) is moving addresses of this cluster (lock ${stateFile}.lock)`, {
      cause: error,
      actions: ['Wait for it to finish and run again; a lock left by a killed run is taken over after 10 s.'],
    })
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => undefined)
  }
}
