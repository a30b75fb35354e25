/**
 * The DNS capability: one zone where hactl keeps the round-robin A record set
 * over the pool's addresses. It is chosen apart from the compute provider, so
 * a static cluster can publish to Route 53 and an AWS cluster to its own BIND.
 *
 * Opened by openDnsZone (./dns-zones.ts) from `dns.provider`: Route 53
 * (./aws/route53-zone.ts), RFC 2136 (./rfc2136/), the sandbox
 * (./local/dns-zone.ts).
 */
import type {DnsProviderName} from '../cluster/dns.js'
import type {RecordSet} from './provider.js'
import {ExitCode, HactlError, type HactlErrorOptions} from '../errors.js'

export type {RecordSet} from './provider.js'

/** The names the cluster file accepts in dns.provider (src/cluster/dns.ts). */
export type DnsProviderKind = DnsProviderName

export interface UpsertOptions {
  /**
   * Return only once the zone serves the new set (Route 53: the change is
   * INSYNC; RFC 2136: the primary answers a query with it). Default true.
   */
  wait?: boolean
  /**
   * Apply the change only if the live set is still exactly this one, as read
   * before planning (`null`: there must be no A set at the name); otherwise
   * throw DnsConflictError and change nothing. Values are compared as sets;
   * the TTL is not part of the guard. Omitted: replace unconditionally.
   * Route 53 can express it as DELETE(expected) + CREATE(new) in one batch,
   * the sandbox by comparing under its state lock.
   */
  expected?: RecordSet | null
}

export interface DnsZone {
  readonly dnsKind: DnsProviderKind
  /** The zone can write an alias A record to a load balancer (Route 53). */
  readonly aliases?: boolean
  /** The zone can write a CNAME at the name. */
  readonly cnames?: boolean
  /** The A record set at `name` (values sorted, name absolute), or undefined when there is none. */
  getRecordSet(name: string): Promise<RecordSet | undefined>
  /**
   * Replace the whole A record set at `records.name` with exactly
   * `records.values` and `records.ttl`, atomically: a reader sees the old
   * set or the new one, never a mix. Refuses an empty set.
   */
  upsertRecordSet(records: RecordSet, options?: UpsertOptions): Promise<void>
  /** What `upsertRecordSet` would send, exactly, for `--dry-run` (no secret in it). */
  explainUpsert?(records: RecordSet, options?: Pick<UpsertOptions, 'expected'>): string[]
}

/** The record changed between our read and our write: another actor is publishing. Exit 6, nothing changed. */
export class DnsConflictError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('dns-conflict', ExitCode.busy, message, {
      ...options,
      actions: options?.actions ?? ['Another actor changed the record: run `hactl dns show` to see it, then publish again.'],
    })
  }
}

/** Values as a set: order and duplicates do not make two record sets differ. */
export function sameValues(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort()
  const right = [...new Set(b)].sort()
  return left.length === right.length && left.every((v, i) => v === right[i])
}

/** A load balancer's DNS name as compared: lower case, no final dot, no `dualstack.` (Route 53 may return either). */
export function balancerName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').replace(/^dualstack\./, '')
}

/** What a record set points at, one string each, for comparing and showing: the addresses, `CNAME name`, or `ALIAS name`. */
export function recordTargets(records: RecordSet | undefined): string[] {
  if (!records) return []
  if (records.alias) return [`ALIAS ${balancerName(records.alias.dnsName)}`]
  if (records.type === 'CNAME') return records.values.map((v) => `CNAME ${balancerName(v)}`)
  return [...new Set(records.values)].sort()
}
