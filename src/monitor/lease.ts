import type {Lease, LeaseStore} from '../cloud/lease-store.js'

/**
 * The monitor's view of its lease. It counts from when it *asked* for the
 * lease, and stops acting a margin before expiry, so a holder that cannot
 * renew has stopped before anyone else can take over.
 */
export class LeaseKeeper {
  private lease?: Lease
  private renewedAt = 0
  private validUntil = 0

  constructor(
    private readonly store: LeaseStore,
    readonly name: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Renew (or take) the lease once a quarter of it has passed; true when this monitor may act now. */
  async refresh(): Promise<boolean> {
    const asked = this.clock()
    if (this.mayAct() && asked - this.renewedAt < this.ttlMs / 4) return true
    try {
      this.lease = await this.store.acquire(this.name, this.holder, this.ttlMs, asked)
    } catch (error) {
      // Cannot reach the store: keep acting only on what the old lease still covers.
      if (!this.mayAct()) this.lease = undefined
      throw error
    }
    this.renewedAt = asked
    this.validUntil = this.lease ? asked + this.ttlMs - this.margin : 0
    return this.mayAct()
  }

  /** Checked before every action. */
  mayAct(): boolean {
    return this.lease !== undefined && this.clock() < this.validUntil
  }

  get token(): number | undefined {
    return this.mayAct() ? this.lease?.token : undefined
  }

  async release(): Promise<void> {
    if (this.lease) await this.store.release(this.name, this.holder)
    this.lease = undefined
    this.validUntil = 0
  }

  /** A fifth of the ttl (at most 5 s): room for one action to finish before the lease runs out. */
  private get margin(): number {
    return Math.min(5000, this.ttlMs / 5)
  }
}
