import type {Cluster} from '../cluster/loader.js'
import {leaseFor, requireLease} from '../monitor/leases.js'

export interface LeaseReport {
  name: string
  where: string
  holder?: string
  token?: number
  expiresAt?: string
  /** ms left; negative when expired. */
  expiresInMs?: number
  held: boolean
}

export async function showLease(cluster: Cluster, options: {profile?: string; region?: string}, now = Date.now()): Promise<LeaseReport> {
  const {name, store} = requireLease(await leaseFor(cluster, options), cluster)
  const lease = await store.read(name)
  if (!lease) return {name, where: store.where, held: false}
  return {
    name,
    where: store.where,
    holder: lease.holder,
    token: lease.token,
    expiresAt: new Date(lease.expiresAt).toISOString(),
    expiresInMs: lease.expiresAt - now,
    held: lease.expiresAt > now,
  }
}

export async function initLease(cluster: Cluster, options: {profile?: string; region?: string}): Promise<{where: string; created: boolean}> {
  const {store} = requireLease(await leaseFor(cluster, options), cluster)
  return {where: store.where, ...(await store.init())}
}
