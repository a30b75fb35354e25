/**
 * The DNS planner: the record as it is against the pool's addresses → nothing
 * to do, or one UPSERT. Pure. It never plans an empty record set: with no
 * address in the pool it keeps the last good record and says so.
 */
import {absoluteName} from '../cloud/dns-name.js'
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
