import type {Answer, Packet, Question, SoaData} from 'dns-packet'

import type {RecordSet} from '../cloud/provider.js'

/** What the sandbox's DNS server is authoritative for. */
export interface ZoneData {
  /** e.g. `sandbox.test.` */
  origin: string
  serial: number
  records: RecordSet[]
  /** Address of the name server itself, published as `ns.<origin>`. */
  nsAddress: string
  /** TTL of negative answers (SOA minimum), seconds. */
  negativeTtl: number
}

const RCODE = {noError: 0, formErr: 1, nxDomain: 3, notImp: 4, refused: 5} as const
const AA = 1 << 10
const RD = 1 << 8

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

interface Rr {
  name: string
  type: 'A' | 'NS' | 'SOA'
  ttl: number
  data: SoaData | string
}

/** Every record of the zone, apex first. */
function zoneRecords(zone: ZoneData): Rr[] {
  const origin = norm(zone.origin)
  const ns = `ns.${origin}`
  const soa: Rr = {
    name: origin,
    type: 'SOA',
    ttl: zone.negativeTtl,
    data: {mname: ns, rname: `hostmaster.${origin}`, serial: zone.serial, refresh: 60, retry: 30, expire: 600, minimum: zone.negativeTtl},
  }
  const records: Rr[] = [soa, {name: origin, type: 'NS', ttl: 300, data: ns}, {name: ns, type: 'A', ttl: 300, data: zone.nsAddress}]
  for (const set of zone.records) {
    for (const value of set.values) records.push({name: norm(set.name), type: 'A', ttl: set.ttl, data: value})
  }
  return records
}

/**
 * The answer an authoritative server gives: the records asked for; NODATA
 * (no answer, SOA in authority) when the name exists without that type;
 * NXDOMAIN with the SOA when it does not exist; REFUSED outside the zone.
 */
export function answerQuery(query: Packet, zone: ZoneData): Packet {
  const question: Question | undefined = query.questions?.[0]
  const rd = (query.flags ?? 0) & RD
  const reply = (rcode: number, answers: Rr[] = [], authorities: Rr[] = []): Packet => ({
    type: 'response',
    id: query.id ?? 0,
    flags: (rcode === RCODE.refused || rcode === RCODE.formErr || rcode === RCODE.notImp ? 0 : AA) | rd | rcode,
    questions: question ? [question] : [],
    answers: answers.map(toAnswer),
    authorities: authorities.map(toAnswer),
  })
  if (!question || (query.questions?.length ?? 0) !== 1) return reply(RCODE.formErr)
  if ((((query.flags ?? 0) >> 11) & 0xf) !== 0) return reply(RCODE.notImp)
  if (question.class !== undefined && question.class !== 'IN' && question.class !== 'ANY') return reply(RCODE.refused)

  const origin = norm(zone.origin)
  const name = norm(question.name)
  if (name !== origin && !name.endsWith(`.${origin}`)) return reply(RCODE.refused)

  const records = zoneRecords(zone)
  const soa = records.filter((r) => r.type === 'SOA')
  const exists = records.some((r) => r.name === name || r.name.endsWith(`.${name}`))
  if (!exists) return reply(RCODE.nxDomain, [], soa)
  const matching = records.filter((r) => r.name === name && ((question.type as string) === 'ANY' || r.type === question.type))
  if (matching.length === 0) return reply(RCODE.noError, [], soa)
  return reply(RCODE.noError, matching)
}

function toAnswer(rr: Rr): Answer {
  return {name: rr.name, type: rr.type, class: 'IN', ttl: rr.ttl, data: rr.data} as Answer
}
