/**
 * The moves lock: one observe → plan → move → record at a time per cluster on
 * this machine. `eip failover|rebalance|attach|detach`, `proxy terminate --force`
 * and every change of the pool or of its DNS record (`eip allocate|release`,
 * `dns publish`) take it for the command, the monitor for each round, so an
 * operator's move and the monitor's never cross, a publish never reads a pool
 * that a release is changing, and an operator can still move addresses
 * while the monitor service runs. (The monitor's own run lock, one monitor
 * per cluster, is another file: src/monitor/lock.ts.) Across machines the
 * DynamoDB lease does this job. A holder that died holds nothing
 * (process/lock.ts).
 */
import {BusyError} from '../errors.js'
import {describeHolder, withLock, type LockOptions} from '../process/lock.js'
import {barrier} from './barrier.js'

/** Run `fn` holding the lock of `stateFile`; wait up to `waitMs` for it, then exit 6. */
export async function withFailoverLock<T>(stateFile: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const lock = movesLockPath(stateFile)
  const options: LockOptions = {
    waitMs,
    pollMs: [25, 250],
    // A wait is made visible (to tests racing two commands) before it starts.
    onWait: () => barrier('moves-lock.wait'),
    // Only a held lock means busy; anything else (a read-only folder, say) is reported as it is.
    busy: (error) =>
      new BusyError(
        `another hactl (the monitor, a failover, a release or a DNS publish) is changing the addresses of this cluster (${error.holder ? describeHolder(error.holder) : 'lock'} holds ${lock})`,
        {cause: error, actions: ['Wait for it to finish and run again; a run that was killed holds nothing.']},
      ),
  }
  return withLock(lock, options, async () => {
    await barrier('moves-lock.acquired')
    return fn()
  })
}

export function movesLockPath(stateFile: string): string {
  return `${stateFile}.moves.lock`
}
