/**
 * One actor per cluster on this machine: `eip failover`, `eip rebalance` and
 * the monitor take this lock around describe → plan → move, so two runs
 * (cron overlap, an operator and the monitor) never both move an address.
 * Across machines the DynamoDB lease does the same job.
 */
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {BusyError} from '../errors.js'

export function lockPath(clusterName: string, clusterFile: string): string {
  const id = createHash('sha256').update(clusterFile).digest('hex').slice(0, 12)
  return path.join(tmpdir(), `hactl-${clusterName}-${id}.failover`)
}

/** Run `fn` holding the cluster's failover lock; wait up to `waitMs` for it, then exit 6. */
export async function withFailoverLock<T>(clusterName: string, clusterFile: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const {default: lockfile} = await import('proper-lockfile')
  const file = lockPath(clusterName, clusterFile)
  const retries = Math.max(1, Math.ceil(waitMs / 500))
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(file, {realpath: false, stale: 120_000, retries: {retries, factor: 1, minTimeout: 500, maxTimeout: 500}})
  } catch (error) {
    throw new BusyError(`another hactl is moving addresses of cluster ${clusterName} (lock ${file}.lock)`, {
      cause: error,
      actions: ['Wait for it to finish and run again; a lock left by a killed run expires after 2 minutes.'],
    })
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => undefined)
  }
}
