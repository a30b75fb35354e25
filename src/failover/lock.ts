/**
 * The moves lock: one observe → plan → move → record at a time per cluster on
 * this machine. `eip failover`, `eip rebalance`, `proxy terminate --force`
 * take it for the command, the monitor for each round, so an operator's move
 * and the monitor's never cross, and an operator can still move addresses
 * while the monitor service runs. (The monitor's own run lock, one monitor
 * per cluster, is another file: src/monitor/lock.ts.) Across machines the
 * DynamoDB lease does this job. A holder that died holds nothing
 * (process/lock.ts).
 */
import {BusyError} from '../errors.js'
import {describeHolder, LockHeldError, withLock} from '../process/lock.js'

/** Run `fn` holding the lock of `stateFile`; wait up to `waitMs` for it, then exit 6. */
export async function withFailoverLock<T>(stateFile: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  let entered = false
  try {
    return await withLock(movesLockPath(stateFile), {waitMs, pollMs: [25, 250]}, () => {
      entered = true
      return fn()
    })
  } catch (error) {
    // Only a held lock means busy; anything else (a read-only folder, say) is reported as it is.
    if (entered || !(error instanceof LockHeldError)) throw error
    throw new BusyError(
      `another hactl (a failover or the monitor) is moving addresses of this cluster (${error.holder ? describeHolder(error.holder) : 'lock'} holds ${movesLockPath(stateFile)})`,
      {cause: error, actions: ['Wait for it to finish and run again; a run that was killed holds nothing.']},
    )
  }
}

export function movesLockPath(stateFile: string): string {
  return `${stateFile}.moves.lock`
}
