/**
 * A lease lets exactly one of several monitors act. Whoever holds an
 * unexpired lease may act; the fencing token grows with every new holder, so
 * actions can be told apart by who was entitled to them.
 */
export interface Lease {
  name: string
  holder: string
  token: number
  /** ms since the epoch. */
  expiresAt: number
}

export interface LeaseStore {
  /** Where the leases live, for messages: `dynamodb table hactl-leases`, `file …`. */
  readonly where: string
  /** Create the backing store; `created: false` when it already existed. */
  init(): Promise<{created: boolean}>
  /**
   * Take the lease when it is free or expired (the token grows) or renew it
   * when `holder` has it (same token). Undefined when another holder has it.
   */
  acquire(name: string, holder: string, ttlMs: number, now?: number): Promise<Lease | undefined>
  /** Give the lease up if `holder` has it, so another monitor need not wait for expiry. */
  release(name: string, holder: string): Promise<void>
  read(name: string): Promise<Lease | undefined>
}
