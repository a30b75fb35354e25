/**
 * The round-robin A record over the pool's addresses: `dns publish` makes it
 * list exactly the pool (one UPSERT, only when it differs), `dns show`
 * compares the live record with the expected one.
 */
import type {Cluster} from '../cluster/loader.js'
import {ConfigError} from '../errors.js'
import {planDns, type DnsPlan} from '../failover/dns-planner.js'
import {dryRunReport, openProvider, type CloudServiceOptions, type DryRunReport} from './cloud.js'

export interface DnsReport {
  name: string
  ttl: number
  /** The addresses the record should list (the pool). */
  expected: string[]
  /** What the record lists now (before publishing, for `dns publish`). */
  live: string[]
  liveTtl?: number
  drift: boolean
  missing: string[]
  extra: string[]
  changed: boolean
  notes: string[]
  dryRun?: DryRunReport
}

function dnsSpec(cluster: Cluster): NonNullable<Cluster['spec']['dns']> {
  if (!cluster.spec.dns) {
    throw new ConfigError('the cluster file has no dns: section', {file: cluster.file}, {
      actions: ['Add dns: {zone: example.com., name: www.example.com., ttl: 30} to the cluster file.'],
    })
  }
  return cluster.spec.dns
}

async function plan(options: CloudServiceOptions): Promise<{plan: DnsPlan; provider: Awaited<ReturnType<typeof openProvider>>}> {
  const dns = dnsSpec(options.cluster)
  const provider = await openProvider(options)
  const [current, addresses] = await Promise.all([provider.getRecordSet(dns.name), provider.listAddresses()])
  return {plan: planDns(current, addresses, dns), provider}
}

function report(p: DnsPlan, cluster: Cluster, changed: boolean, dryRun?: DryRunReport): DnsReport {
  const dns = dnsSpec(cluster)
  return {
    name: p.expected?.name ?? dns.name,
    ttl: dns.ttl,
    expected: p.expected?.values ?? [],
    live: p.current?.values ?? [],
    ...(p.current ? {liveTtl: p.current.ttl} : {}),
    drift: p.drift,
    missing: p.missing,
    extra: p.extra,
    changed,
    notes: p.notes,
    ...(dryRun ? {dryRun} : {}),
  }
}

export async function showDns(options: CloudServiceOptions): Promise<DnsReport> {
  const {plan: p} = await plan(options)
  return report(p, options.cluster, false)
}

/** Reads first; writes only when the record differs; waits for INSYNC unless `wait` is false. */
export async function publishDns(options: CloudServiceOptions & {wait?: boolean}): Promise<DnsReport> {
  const {plan: p, provider} = await plan(options)
  if (!p.upsert) return report(p, options.cluster, false)
  if (options.dryRun) {
    return report(p, options.cluster, false, await dryRunReport(provider, [{op: 'upsertRecordSet', records: p.upsert}], options.checkPermissions))
  }
  options.reporter.emit({level: 'info', code: 'dns.upsert', subject: p.upsert.name, message: `publishing ${p.upsert.values.join(' ')}${options.wait === false ? '' : ', waiting until in sync'}`})
  await provider.upsertRecordSet(p.upsert, {wait: options.wait !== false})
  return report(p, options.cluster, true)
}
