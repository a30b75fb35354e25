/**
 * The round-robin A record over the pool's addresses: `dns publish` makes it
 * list exactly the pool (one UPSERT, only when it differs), `dns show`
 * compares the live record with the expected one. Both also say when a
 * listed address is attached to no proxy: clients sent there get nothing.
 */
import {isIPv4} from 'node:net'

import type {Cluster} from '../cluster/loader.js'
import {need, type Cloud} from '../cloud/capabilities.js'
import {recordTargets, sameValues, type DnsZone} from '../cloud/dns-zone.js'
import {openDnsZone} from '../cloud/dns-zones.js'
import {describeOperation} from '../cloud/operations.js'
import type {ElasticAddress, RecordSet} from '../cloud/provider.js'
import {ConfigError, UnhealthyError, UsageError} from '../errors.js'
import {barrier} from '../failover/barrier.js'
import {planBalancerDns, planDns, type DnsPlan} from '../failover/dns-planner.js'
import {withFailoverLock} from '../failover/lock.js'
import {stateFilePath} from '../monitor/state.js'
import type {Reporter} from '../events.js'
import {clusterCloud, type CloudServiceOptions, type DryRunReport} from './cloud.js'

export interface DnsReport {
  name: string
  ttl: number
  /** Where the record lives: route53, rfc2136 or local. */
  provider: DnsZone['dnsKind']
  /** `balancer` (topology nlb): the record points at the load balancer (alias, A to its address, or CNAME); `pool`: it lists the addresses. */
  points: 'balancer' | 'pool'
  /** What the record should point at: the pool's addresses, or `ALIAS name` / `CNAME name` / the balancer's address. */
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

export interface DnsServiceOptions extends CloudServiceOptions {
  /** Injected (tests); otherwise the zone dns.provider names. */
  dnsZone?: DnsZone
}

function dnsSpec(cluster: Cluster): NonNullable<Cluster['spec']['dns']> {
  if (!cluster.spec.dns) {
    throw new ConfigError('the cluster file has no dns: section', {file: cluster.file}, {
      actions: ['Add dns: {zone: example.com., name: www.example.com., ttl: 30} to the cluster file.'],
    })
  }
  return cluster.spec.dns
}

export async function openZone(options: DnsServiceOptions): Promise<DnsZone> {
  return options.dnsZone ?? openDnsZone(options.cluster)
}

/**
 * The addresses the record lists: the cluster's address pool, or for a static
 * cluster (no pool to move) the addresses of its hosts, which must be IPv4.
 */
export async function recordAddresses(options: CloudServiceOptions): Promise<ElasticAddress[]> {
  const {cluster} = options
  if (cluster.spec.provider !== 'static') return need(await clusterCloud(options), 'addresses').listAddresses()
  return cluster.spec.hosts.map((host) => {
    if (!isIPv4(host.address)) {
      throw new UsageError(`host ${host.name} is reached at ${host.address}, not an IPv4 address: the DNS record of a static cluster lists its hosts' addresses`, {
        actions: [`Write the address of ${host.name} as an IPv4 address in hosts: of ${cluster.file}.`],
      })
    }
    return {allocationId: `host:${host.name}`, publicIp: host.address, instanceId: host.name, tags: {}}
  })
}

async function observe(zone: DnsZone, options: CloudServiceOptions): Promise<{plan: DnsPlan; addresses: ElasticAddress[]}> {
  const dns = dnsSpec(options.cluster)
  if (options.cluster.spec.topology === 'nlb') {
    // The record follows the balancer, not an address pool: the planner picks alias, A or CNAME by what the zone writes.
    const balancer = need(await clusterCloud(options), 'balancer')
    const [current, view] = await Promise.all([zone.getRecordSet(dns.name), balancer.describeBalancer()])
    return {plan: planBalancerDns(current, view, dns, zone), addresses: []}
  }
  const [current, addresses] = await Promise.all([zone.getRecordSet(dns.name), recordAddresses(options)])
  return {plan: planDns(current, addresses, dns), addresses}
}

function report(zone: DnsZone, p: DnsPlan, addresses: ElasticAddress[], cluster: Cluster, changed: boolean, dryRun?: DryRunReport): DnsReport {
  const dns = dnsSpec(cluster)
  const unattached = addresses.filter((a) => !a.instanceId).map((a) => a.publicIp)
  const listed = new Set(changed ? recordTargets(p.expected) : recordTargets(p.current))
  const dead = unattached.filter((ip) => listed.has(ip))
  const problems = dead.length === 0 ? [] : [`${dns.name} lists ${dead.join(', ')}, attached to no proxy: clients sent there get nothing. Run \`hactl eip rebalance\` (or \`hactl eip attach ADDRESS PROXY\`).`]
  return {
    name: p.expected?.name ?? dns.name,
    ttl: dns.ttl,
    provider: zone.dnsKind,
    points: cluster.spec.topology === 'nlb' ? 'balancer' : 'pool',
    expected: recordTargets(p.expected),
    live: recordTargets(p.current),
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

export async function showDns(options: DnsServiceOptions): Promise<DnsReport> {
  const zone = await openZone(options)
  const {plan: p, addresses} = await observe(zone, options)
  return report(zone, p, addresses, options.cluster, false)
}

/**
 * Reads first; writes only when the record differs, guarded by what was read
 * (a change by someone else in between is refused, exit 6); waits until the
 * zone serves it unless `wait` is false. Under the moves lock, like every
 * change of the pool, so it never publishes a pool that a release is
 * changing; the record is read back after the change to make sure it holds.
 */
export async function publishDns(options: DnsServiceOptions & {wait?: boolean}): Promise<DnsReport> {
  const zone = await openZone(options)
  const work = async (): Promise<DnsReport> => {
    const {plan: p, addresses} = await observe(zone, options)
    await barrier('dns.publish.read')
    if (!p.upsert) return report(zone, p, addresses, options.cluster, false)
    const expected = p.current ?? null
    if (options.dryRun) return report(zone, p, addresses, options.cluster, false, dryRunDns(zone, p.upsert, expected, options.checkPermissions))
    await upsertVerified(zone, p.upsert, options.reporter, options.wait !== false, expected)
    return report(zone, p, addresses, options.cluster, true)
  }
  return options.dryRun ? work() : withFailoverLock(stateFilePath(options.cluster), work)
}

/** Exactly what a publish sends: the Route 53 change batch, or the signed UPDATE as nsupdate commands (no secret). */
function dryRunDns(zone: DnsZone, records: NonNullable<DnsPlan['upsert']>, expected: DnsPlan['current'] | null, checkPermissions?: boolean): DryRunReport {
  const calls = zone.explainUpsert?.(records, {expected}) ?? [describeOperation({op: 'upsertRecordSet', records})]
  if (!checkPermissions) return {calls}
  return {calls, permissions: [{action: zone.dnsKind === 'route53' ? 'route53:ChangeResourceRecordSets' : `${zone.dnsKind} update`, allowed: true, detail: 'no dry run for DNS changes: not checked'}]}
}

async function upsertVerified(zone: DnsZone, records: NonNullable<DnsPlan['upsert']>, reporter: Reporter, wait: boolean, expected?: DnsPlan['current'] | null): Promise<void> {
  announcePublish(records, reporter, wait)
  await zone.upsertRecordSet(records, {wait, ...(expected === undefined ? {} : {expected})})
  await confirmPublished(zone, records)
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
export async function publishPool(zone: DnsZone, cloud: Cloud, cluster: Cluster, reporter: Reporter): Promise<PoolPublish> {
  const {plan: p} = await observe(zone, {cluster, reporter, cloud})
  const name = p.expected?.name ?? dnsSpec(cluster).name
  if (!p.upsert) {
    const note = p.drift ? `${name} still lists ${p.extra.join(' ')}: ${p.notes.join('; ')}` : undefined
    return {name, written: false, values: p.current?.values ?? [], ...(note ? {note} : {})}
  }
  await upsertVerified(zone, p.upsert, reporter, true, p.current ?? null)
  return {name, written: true, values: p.upsert.values}
}

export function announcePublish(records: RecordSet, reporter: Reporter, wait: boolean): void {
  reporter.emit({level: 'info', code: 'dns.upsert', subject: records.name, message: `publishing ${recordTargets(records).join(' ')}${wait ? ', waiting until in sync' : ''}`})
}

/** Read the record back after an upsert that ran as a planned operation: something else may have changed it meanwhile. */
export async function confirmPublished(zone: Pick<DnsZone, 'getRecordSet'>, records: RecordSet): Promise<PoolPublish> {
  await barrier('dns.publish.written')
  const after = await zone.getRecordSet(records.name)
  const lists = recordTargets(after)
  if (!sameValues(lists, recordTargets(records))) {
    throw new UnhealthyError(`after publishing, ${records.name} lists ${lists.join(' ') || 'nothing'} instead of ${recordTargets(records).join(' ')}: something else changed it`, {
      actions: ['See what changed it with `hactl dns show`, then run `hactl dns publish` again.'],
    })
  }
  return {name: records.name, written: true, values: records.values}
}
