import type {Cluster} from '../cluster/loader.js'
import type {Lease} from '../cloud/lease-store.js'
import {leaseFor, requireLease} from '../monitor/leases.js'

export interface LeaseReport {
  name: string
  where: string
  /** `held` by a live monitor, `expired` (its holder stopped renewing), `released` (given up), `free` (never taken). */
  state: 'expired' | 'free' | 'held' | 'released'
  holder?: string
  token?: number
  /** Absent once released: a released lease has no expiry worth showing. */
  expiresAt?: string
  /** ms left; negative when expired. */
  expiresInMs?: number
  held: boolean
}

/** What a stored lease means now. A release keeps holder and token (the next token must be larger) and sets the expiry to 0. */
export function leaseState(lease: Lease | undefined, now: number): Pick<LeaseReport, 'expiresAt' | 'expiresInMs' | 'held' | 'holder' | 'state' | 'token'> {
  if (!lease) return {state: 'free', held: false}
  const who = {holder: lease.holder, token: lease.token}
  if (lease.expiresAt <= 0) return {...who, state: 'released', held: false}
  const held = lease.expiresAt > now
  return {...who, state: held ? 'held' : 'expired', held, expiresAt: new Date(lease.expiresAt).toISOString(), expiresInMs: lease.expiresAt - now}
}

export async function showLease(cluster: Cluster, now = Date.now()): Promise<LeaseReport> {
  const {name, store} = requireLease(await leaseFor(cluster), cluster)
  return {name, where: store.where, ...leaseState(await store.read(name), now)}
}

export async function initLease(cluster: Cluster): Promise<{where: string; created: boolean}> {
  const {store} = requireLease(await leaseFor(cluster), cluster)
  return {where: store.where, ...(await store.init())}
}
