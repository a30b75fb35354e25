/**
 * The DNS planner: the record as it is against the pool's addresses → nothing
 * to do, or one UPSERT. Pure. It never plans an empty record set: with no
 * address in the pool it keeps the last good record and says so.
 */
import type {BalancerView} from '../cloud/capabilities.js'
import {absoluteName} from '../cloud/dns-name.js'
import {recordTargets} from '../cloud/dns-zone.js'
import type {ElasticAddress, RecordSet} from '../cloud/provider.js'

export interface DnsSpec {
  name: string
  ttl: number
}

export interface DnsPlan {
  expected?: RecordSet
  current?: RecordSet
  /** The live record differs from the expected one. */
  drift: boolean
  /** Addresses in the expected set missing from the live one, and live ones not in the pool. */
  missing: string[]
  extra: string[]
  upsert?: RecordSet
  notes: string[]
}

export function planDns(current: RecordSet | undefined, addresses: ElasticAddress[], spec: DnsSpec): DnsPlan {
  const values = [...new Set(addresses.map((a) => a.publicIp))].sort()
  const live = new Set(current?.values ?? [])
  const missing = values.filter((v) => !live.has(v))
  const extra = [...live].filter((v) => !values.includes(v)).sort()
  const name = absoluteName(spec.name)
  if (values.length === 0) {
    return {
      current,
      drift: live.size > 0,
      missing,
      extra,
      notes: ['the pool has no addresses: keeping the current record rather than publishing an empty set'],
    }
  }
  const expected: RecordSet = {name, type: 'A', ttl: spec.ttl, values}
  const drift = missing.length > 0 || extra.length > 0 || current?.ttl !== spec.ttl
  return {
    expected,
    current,
    drift,
    missing,
    extra,
    ...(drift ? {upsert: expected} : {}),
    notes: drift ? [] : [`${name} already lists the ${values.length} pool addresses (ttl ${spec.ttl})`],
  }
}

/**
 * topology nlb: the record that sends clients to the balancer. An alias A
 * record where the zone has aliases (Route 53) and the balancer a hosted
 * zone; else an A record to the balancer's address when it has one (the
 * sandbox's); else a CNAME to its DNS name where the zone can write one.
 */
export function balancerRecord(view: BalancerView | undefined, spec: DnsSpec, zone: {aliases?: boolean; cnames?: boolean}): {record?: RecordSet; note?: string} {
  const name = absoluteName(spec.name)
  if (!view) return {note: 'the cluster has no load balancer yet: run `hactl proxy launch` first'}
  if (zone.aliases && view.dnsName && view.hostedZoneId) return {record: {name, type: 'A', ttl: spec.ttl, values: [], alias: {dnsName: view.dnsName, hostedZoneId: view.hostedZoneId}}}
  if (view.address) return {record: {name, type: 'A', ttl: spec.ttl, values: [view.address]}}
  if (view.dnsName && zone.cnames) return {record: {name, type: 'CNAME', ttl: spec.ttl, values: [view.dnsName]}}
  return {note: `the balancer ${view.name} has ${view.dnsName ? `only a DNS name (${view.dnsName}), and this DNS provider writes neither aliases nor CNAMEs` : 'no address or DNS name yet'}: nothing to publish`}
}

/** The live record against the balancer's; one UPSERT when they differ (an alias has no TTL of its own to compare). */
export function planBalancerDns(current: RecordSet | undefined, view: BalancerView | undefined, spec: DnsSpec, zone: {aliases?: boolean; cnames?: boolean}): DnsPlan {
  const {note, record} = balancerRecord(view, spec, zone)
  const live = recordTargets(current)
  if (!record) return {current, drift: false, missing: [], extra: live, notes: note ? [note] : []}
  const wanted = recordTargets(record)
  const missing = wanted.filter((v) => !live.includes(v))
  const extra = live.filter((v) => !wanted.includes(v))
  const drift = missing.length > 0 || extra.length > 0 || current?.type !== record.type || (!record.alias && current?.ttl !== record.ttl)
  return {
    expected: record,
    current,
    drift,
    missing,
    extra,
    ...(drift ? {upsert: record} : {}),
    notes: drift ? [] : [`${record.name} already points at the balancer (${wanted.join(' ')})`],
  }
}
