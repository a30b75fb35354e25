import {createHash} from 'node:crypto'
import {hostname} from 'node:os'
import path from 'node:path'

import type {LeaseStore} from '../cloud/lease-store.js'
import type {Cluster} from '../cluster/loader.js'
import {UsageError} from '../errors.js'
import {FileLeaseStore} from './file-lease.js'

export interface LeaseSettings {
  store: LeaseStore
  /** One lease per cluster. */
  name: string
  ttlMs: number
}

/**
 * The lease the cluster file asks for: DynamoDB for AWS clusters, a lease
 * folder beside the cluster file otherwise (the sandbox, static hosts, tests).
 * Undefined when `failover.lease` is not set: the local lock is then the only guard.
 */
export async function leaseFor(cluster: Cluster): Promise<LeaseSettings | undefined> {
  const lease = cluster.spec.failover.lease
  if (!lease) return undefined
  const store =
    cluster.spec.provider === 'aws'
      ? await (await import('../cloud/aws/lease.js')).createDynamoLeaseStore(lease.table, {
          region: cluster.spec.region,
          profile: cluster.spec.profile,
        })
      : new FileLeaseStore(path.join(cluster.dir, '.hactl-leases', lease.table))
  return {store, name: `monitor/${cluster.spec.cluster}`, ttlMs: lease.ttl}
}

export function requireLease(settings: LeaseSettings | undefined, cluster: Cluster): LeaseSettings {
  if (settings) return settings
  throw new UsageError(`the cluster file ${cluster.file} sets no failover.lease`, {
    actions: ['Add `failover: { lease: { table: hactl-leases, ttl: 30s } }` to the cluster file.'],
  })
}

/**
 * Who this monitor is, in leases: the host and its state file. The local lock
 * makes that one actor, and it stays the same across `--once` runs, so a cron
 * job renews its own lease instead of waiting for it to expire.
 */
export function holderId(stateFile: string): string {
  return `${hostname()}:${createHash('sha256').update(stateFile).digest('hex').slice(0, 8)}`
}
