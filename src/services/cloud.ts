/**
 * What the cloud commands share: opening the cluster's provider, and the
 * dry-run report (the exact API calls, and with --check-permissions the
 * cloud's own answer on whether the caller may make them).
 */
import type {Cluster} from '../cluster/loader.js'
import type {DnsZone} from '../cloud/dns-zone.js'
import {providerFor} from '../cloud/index.js'
import {describeOperation, type PermissionCheck, type ProviderOperation} from '../cloud/operations.js'
import type {Provider} from '../cloud/provider.js'
import '../cloud/providers.js'
import type {Reporter} from '../ui/reporter.js'

export interface CloudServiceOptions {
  cluster: Cluster
  reporter: Reporter
  /** Injected (tests); otherwise the cluster's provider. */
  provider?: Provider
  profile?: string
  region?: string
  dryRun?: boolean
  checkPermissions?: boolean
}

export async function openProvider(options: CloudServiceOptions): Promise<Provider> {
  return options.provider ?? providerFor(options.cluster, {profile: options.profile, region: options.region})
}

export interface DryRunReport {
  /** The calls a real run makes, in order, exactly as it makes them. */
  calls: string[]
  permissions?: PermissionCheck[]
}

/** A record change is explained by the DNS zone that makes it (dns.provider), when one is given. */
export function explainAll(provider: Provider, operations: ProviderOperation[], dns?: Pick<DnsZone, 'explainUpsert'>): string[] {
  return operations.flatMap((o) => (o.op === 'upsertRecordSet' && dns?.explainUpsert ? dns.explainUpsert(o.records) : undefined) ?? provider.explain?.(o) ?? [describeOperation(o)])
}

/** The dry-run report of a plan; asks the cloud about permissions when told to. */
export async function dryRunReport(provider: Provider, operations: ProviderOperation[], checkPermissions?: boolean, dns?: Pick<DnsZone, 'explainUpsert'>): Promise<DryRunReport> {
  const calls = explainAll(provider, operations, dns)
  if (!checkPermissions) return {calls}
  const permissions = provider.checkPermissions ? await provider.checkPermissions(operations) : operations.map((o) => ({action: describeOperation(o), allowed: true, detail: 'this provider has no permissions to check'}))
  return {calls, permissions}
}

/** A dry run whose permission check found a denied call ends with exit 7. */
export function deniedCalls(report: DryRunReport | undefined): PermissionCheck[] {
  return report?.permissions?.filter((p) => !p.allowed) ?? []
}
