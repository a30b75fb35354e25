/**
 * The round-robin A record over the pool's addresses: `dns publish` makes it
 * list exactly the pool (one UPSERT, only when it differs), `dns show`
 * compares the live record with the expected one. Both also say when a
 * listed address is attached to no proxy: clients sent there get nothing.
 */
import type {Cluster} from '../cluster/loader.js'
import type {ProviderOperation} from '../cloud/operations.js'
import type {ElasticAddress, Provider, RecordSet} from '../cloud/provider.js'
import {runOperation} from '../cloud/run-operation.js'
import {ConfigError, UnhealthyError} from '../errors.js'
import {barrier} from '../failover/barrier.js'
import {planDns, type DnsPlan} from '../failover/dns-planner.js'
import {withFailoverLock} from '../failover/lock.js'
import {stateFilePath} from '../monitor/state.js'
import type {Reporter} from '../ui/reporter.js'
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
  /** Pool addresses attached to no proxy: the record sends clients to them for nothing. */
  unattached: string[]
  /** What leaves clients without service although the record may match the pool (exit 5). */
  problems: string[]
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

async function observe(provider: Provider, cluster: Cluster): Promise<{plan: DnsPlan; addresses: ElasticAddress[]}> {
  const dns = dnsSpec(cluster)
  const [current, addresses] = await Promise.all([provider.getRecordSet(dns.name), provider.listAddresses()])
  return {plan: planDns(current, addresses, dns), addresses}
}

function report(p: DnsPlan, addresses: ElasticAddress[], cluster: Cluster, changed: boolean, dryRun?: DryRunReport): DnsReport {
  const dns = dnsSpec(cluster)
  const unattached = addresses.filter((a) => !a.instanceId).map((a) => a.publicIp)
  const listed = new Set(changed ? (p.expected?.values ?? []) : (p.current?.values ?? []))
  const dead = unattached.filter((ip) => listed.has(ip))
  const problems = dead.length === 0 ? [] : [`${dns.name} lists ${dead.join(', ')}, attached to no proxy: clients sent there get nothing. Run \`hactl eip rebalance\` (or \`hactl eip attach ADDRESS PROXY\`).`]
  return {
    name: p.expected?.name ?? dns.name,
    ttl: dns.ttl,
    expected: p.expected?.values ?? [],
    live: p.current?.values ?? [],
    ...(p.current ? {liveTtl: p.current.ttl} : {}),
    drift: p.drift,
    missing: p.missing,
    extra: p.extra,
    unattached,
    problems,
    changed,
    notes: p.notes,
    ...(dryRun ? {dryRun} : {}),
  }
}

export async function showDns(options: CloudServiceOptions): Promise<DnsReport> {
  const {plan: p, addresses} = await observe(await openProvider(options), options.cluster)
  return report(p, addresses, options.cluster, false)
}

/**
 * Reads first; writes only when the record differs; waits for INSYNC unless
 * `wait` is false. Under the moves lock, like every change of the pool, so it
 * never publishes a pool that a release is changing; the record is read back
 * after the change to make sure it holds.
 */
export async function publishDns(options: CloudServiceOptions & {wait?: boolean}): Promise<DnsReport> {
  const provider = await openProvider(options)
  const work = async (): Promise<DnsReport> => {
    const {plan: p, addresses} = await observe(provider, options.cluster)
    await barrier('dns.publish.read')
    if (!p.upsert) return report(p, addresses, options.cluster, false)
    const operation = upsertOperation(p.upsert, options.wait !== false)
    if (options.dryRun) return report(p, addresses, options.cluster, false, await dryRunReport(provider, [operation], options.checkPermissions))
    await upsertVerified(provider, operation, options.reporter)
    return report(p, addresses, options.cluster, true)
  }
  return options.dryRun ? work() : withFailoverLock(stateFilePath(options.cluster), work)
}

type UpsertOperation = Extract<ProviderOperation, {op: 'upsertRecordSet'}>

function upsertOperation(records: RecordSet, wait: boolean): UpsertOperation {
  return {op: 'upsertRecordSet', records, wait}
}

export function announcePublish(records: RecordSet, reporter: Reporter, wait: boolean): void {
  reporter.emit({level: 'info', code: 'dns.upsert', subject: records.name, message: `publishing ${records.values.join(' ')}${wait ? ', waiting until in sync' : ''}`})
}

/** The planned upsert, run, then read back to make sure it holds. */
async function upsertVerified(provider: Provider, operation: UpsertOperation, reporter: Reporter): Promise<void> {
  announcePublish(operation.records, reporter, operation.wait !== false)
  await runOperation(provider, operation)
  await confirmPublished(provider, operation.records)
}

/** Read the record back after an upsert: something else may have changed it meanwhile. */
export async function confirmPublished(provider: Provider, records: RecordSet): Promise<PoolPublish> {
  await barrier('dns.publish.written')
  const after = await provider.getRecordSet(records.name)
  const lists = [...(after?.values ?? [])].sort()
  if (lists.join(' ') !== [...records.values].sort().join(' ')) {
    throw new UnhealthyError(`after publishing, ${records.name} lists ${lists.join(' ') || 'nothing'} instead of ${records.values.join(' ')}: something else changed it`, {
      actions: ['See what changed it with `hactl dns show`, then run `hactl dns publish` again.'],
    })
  }
  return {name: records.name, written: true, values: records.values}
}

export interface PoolPublish {
  name: string
  /** The record was rewritten. */
  written: boolean
  /** What it lists afterwards. */
  values: string[]
  /** Why it was not rewritten although it differs (an empty pool is never published). */
  note?: string
}

/**
 * Make the record list the pool as it is now, for a command that already
 * holds the moves lock and just changed the pool (a release).
 */
export async function publishPool(provider: Provider, cluster: Cluster, reporter: Reporter): Promise<PoolPublish> {
  const {plan: p} = await observe(provider, cluster)
  const name = p.expected?.name ?? dnsSpec(cluster).name
  if (!p.upsert) {
    const note = p.drift ? `${name} still lists ${p.extra.join(' ')}: ${p.notes.join('; ')}` : undefined
    return {name, written: false, values: p.current?.values ?? [], ...(note ? {note} : {})}
  }
  await upsertVerified(provider, upsertOperation(p.upsert, true), reporter)
  return {name, written: true, values: p.upsert.values}
}
