/**
 * What the cloud commands share: the cluster's capabilities, and the dry-run
 * report (the exact API calls, and with --check-permissions the cloud's own
 * answer on whether the caller may make them).
 */
import type {Cluster} from '../cluster/loader.js'
import type {Cloud} from '../cloud/capabilities.js'
import type {DnsZone} from '../cloud/dns-zone.js'
import {openCloud} from '../cloud/index.js'
import {describeOperation, type PermissionCheck, type ProviderOperation} from '../cloud/operations.js'
import type {Reporter} from '../events.js'

export interface CloudServiceOptions {
  /** The cluster as the command loaded it (--region and --profile applied). */
  cluster: Cluster
  reporter: Reporter
  /** Injected (tests, benchmarks); otherwise the cluster's provider's. */
  cloud?: Cloud
  dryRun?: boolean
  checkPermissions?: boolean
}

export async function clusterCloud(options: Pick<CloudServiceOptions, 'cloud' | 'cluster'>): Promise<Cloud> {
  return options.cloud ?? openCloud(options.cluster)
}

export interface DryRunReport {
  /** The calls a real run makes, in order, exactly as it makes them. */
  calls: string[]
  permissions?: PermissionCheck[]
}

/** A record change is explained by the DNS zone that makes it (dns.provider), when one is given. */
export function explainAll(cloud: Cloud, operations: ProviderOperation[], dns?: Pick<DnsZone, 'explainUpsert'>): string[] {
  return operations.flatMap((o) => (o.op === 'upsertRecordSet' && dns?.explainUpsert ? dns.explainUpsert(o.records) : undefined) ?? cloud.planner?.explain(o) ?? [describeOperation(o)])
}

/** The dry-run report of a plan; asks the cloud about permissions when told to. */
export async function dryRunReport(cloud: Cloud, operations: ProviderOperation[], checkPermissions?: boolean, dns?: Pick<DnsZone, 'explainUpsert'>): Promise<DryRunReport> {
  const calls = explainAll(cloud, operations, dns)
  if (!checkPermissions) return {calls}
  const check = cloud.planner?.checkPermissions?.bind(cloud.planner)
  const permissions = check ? await check(operations) : operations.map((o) => ({action: describeOperation(o), allowed: true, detail: 'this provider has no permissions to check'}))
  return {calls, permissions}
}

/** A dry run whose permission check found a denied call ends with exit 7. */
export function deniedCalls(report: DryRunReport | undefined): PermissionCheck[] {
  return report?.permissions?.filter((p) => !p.allowed) ?? []
}
