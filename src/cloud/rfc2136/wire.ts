/**
 * The few DNS messages an RFC 2136 client needs, in wire format: a query,
 * an UPDATE with prerequisites, and a reader that finds the answers and the
 * trailing TSIG record of a response by byte offset (the MAC covers exact
 * bytes). dns-packet cannot write these: it has no class NONE, cannot give an
 * A record empty RDATA (the RRset deletes and "does not exist" prerequisite),
 * and has no TSIG record.
 */
import {isIPv4} from 'node:net'

export const TYPE = {A: 1, CNAME: 5, SOA: 6, TSIG: 250} as const
export const CLASS = {IN: 1, NONE: 254, ANY: 255} as const
export const OPCODE = {QUERY: 0, UPDATE: 5} as const

export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
}

export const rcodeName = (code: number): string => RCODE_NAMES[code] ?? `RCODE${code}`

/** A name in canonical wire form: lower case, uncompressed (what TSIG digests). */
export function encodeName(name: string): Buffer {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.').filter((l) => l.length > 0)
  const parts: Buffer[] = []
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii')
    if (bytes.length > 63) throw new RangeError(`a label of ${name} is longer than 63 bytes`)
    parts.push(Buffer.from([bytes.length]), bytes)
  }
  parts.push(Buffer.from([0]))
  const out = Buffer.concat(parts)
  if (out.length > 255) throw new RangeError(`${name} is longer than 255 bytes`)
  return out
}

export function absolute(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower : `${lower}.`
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

function ipv4(value: string): Buffer {
  if (!isIPv4(value)) throw new RangeError(`${value} is not an IPv4 address`)
  return Buffer.from(value.split('.').map(Number))
}

interface Rr {
  name: string
  type: number
  klass: number
  ttl: number
  rdata: Buffer
}

function rr({klass, name, rdata, ttl, type}: Rr): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata])
}

function header(id: number, opcode: number, counts: [number, number, number, number], rd = false): Buffer {
  return Buffer.concat([u16(id), u16((opcode << 11) | (rd ? 0x0100 : 0)), ...counts.map(u16)])
}

export function buildQuery(id: number, name: string): Buffer {
  return Buffer.concat([header(id, OPCODE.QUERY, [1, 0, 0, 0]), encodeName(name), u16(TYPE.A), u16(CLASS.IN)])
}

export interface UpdateSpec {
  id: number
  zone: string
  name: string
  ttl: number
  values: string[]
  /** The set as read: must still be exactly these values (null: no A set may exist). Omitted: no prerequisite. */
  expected?: string[] | null
  /** CNAME: `values` holds the one name the record points at (topology nlb); default A. */
  type?: 'A' | 'CNAME'
  /** The type of the set `expected` names (default A). */
  expectedType?: 'A' | 'CNAME'
}

/**
 * One UPDATE that replaces the A set at `name` atomically (RFC 2136 §2.5):
 * delete the RRset, then add each value, applied by the server as one
 * transaction after the prerequisites hold (§3.2: value-dependent "RRset
 * exists" compares the whole set; "RRset does not exist" is class NONE).
 */
export function buildUpdate(spec: UpdateSpec): Buffer {
  const empty = Buffer.alloc(0)
  const prerequisites: Buffer[] = []
  if (spec.expected === null) {
    prerequisites.push(rr({name: spec.name, type: TYPE.A, klass: CLASS.NONE, ttl: 0, rdata: empty}))
    if (spec.type === 'CNAME') prerequisites.push(rr({name: spec.name, type: TYPE.CNAME, klass: CLASS.NONE, ttl: 0, rdata: empty}))
  } else if (spec.expected && spec.expectedType === 'CNAME') {
    prerequisites.push(rr({name: spec.name, type: TYPE.CNAME, klass: CLASS.IN, ttl: 0, rdata: encodeName(spec.expected[0] ?? '')}))
  } else if (spec.expected) {
    for (const v of new Set(spec.expected)) prerequisites.push(rr({name: spec.name, type: TYPE.A, klass: CLASS.IN, ttl: 0, rdata: ipv4(v)}))
  }
  const updates =
    spec.type === 'CNAME'
      ? [
          // A CNAME stands alone at its name: the A set goes in the same transaction.
          rr({name: spec.name, type: TYPE.A, klass: CLASS.ANY, ttl: 0, rdata: empty}),
          rr({name: spec.name, type: TYPE.CNAME, klass: CLASS.ANY, ttl: 0, rdata: empty}),
          rr({name: spec.name, type: TYPE.CNAME, klass: CLASS.IN, ttl: spec.ttl, rdata: encodeName(spec.values[0] ?? '')}),
        ]
      : [
          rr({name: spec.name, type: TYPE.A, klass: CLASS.ANY, ttl: 0, rdata: empty}),
          ...[...new Set(spec.values)].map((v) => rr({name: spec.name, type: TYPE.A, klass: CLASS.IN, ttl: spec.ttl, rdata: ipv4(v)})),
        ]
  return Buffer.concat([
    header(spec.id, OPCODE.UPDATE, [1, prerequisites.length, updates.length, 0]),
    encodeName(spec.zone),
    u16(TYPE.SOA),
    u16(CLASS.IN),
    ...prerequisites,
    ...updates,
  ])
}

export class MalformedMessage extends Error {}

/** Read a possibly compressed name at `offset`; returns it and where the record continues. */
export function readName(buf: Buffer, offset: number): {name: string; next: number} {
  const labels: string[] = []
  let next = -1
  let at = offset
  for (let hops = 0; ; hops++) {
    if (hops > 127 || at >= buf.length) throw new MalformedMessage('bad name')
    const len = buf[at]
    if (len === 0) {
      if (next < 0) next = at + 1
      break
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= buf.length) throw new MalformedMessage('bad name pointer')
      if (next < 0) next = at + 2
      at = ((len & 0x3f) << 8) | buf[at + 1]
      continue
    }
    if (len > 63 || at + 1 + len > buf.length) throw new MalformedMessage('bad label')
    labels.push(buf.subarray(at + 1, at + 1 + len).toString('latin1'))
    at += 1 + len
  }
  return {name: absolute(labels.join('.')), next}
}

export interface ParsedRr extends Rr {
  /** Byte offset where the record starts. */
  start: number
  /** Offset of its RDATA. */
  rdataStart: number
  /** A CNAME's target, read where the record is (it may point back into the message). */
  target?: string
}

export interface ParsedMessage {
  id: number
  /** QR bit. */
  response: boolean
  opcode: number
  truncated: boolean
  rcode: number
  answers: ParsedRr[]
  /** Additional section; a TSIG record, when present, is last. */
  additionals: ParsedRr[]
}

export function parseMessage(buf: Buffer): ParsedMessage {
  if (buf.length < 12) throw new MalformedMessage('shorter than a DNS header')
  const flags = buf.readUInt16BE(2)
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o))
  let at = 12
  for (let i = 0; i < qd; i++) at = readName(buf, at).next + 4
  const section = (count: number): ParsedRr[] => {
    const out: ParsedRr[] = []
    for (let i = 0; i < count; i++) {
      const start = at
      const {name, next} = readName(buf, at)
      if (next + 10 > buf.length) throw new MalformedMessage('truncated record')
      const rdlength = buf.readUInt16BE(next + 8)
      const rdataStart = next + 10
      if (rdataStart + rdlength > buf.length) throw new MalformedMessage('truncated record data')
      const type = buf.readUInt16BE(next)
      const target = type === TYPE.CNAME ? readName(buf, rdataStart).name : undefined
      out.push({start, rdataStart, name, type, klass: buf.readUInt16BE(next + 2), ttl: buf.readUInt32BE(next + 4), rdata: buf.subarray(rdataStart, rdataStart + rdlength), ...(target ? {target} : {})})
      at = rdataStart + rdlength
    }
    return out
  }
  const answers = section(an)
  section(ns)
  const additionals = section(ar)
  return {
    id: buf.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    answers,
    additionals,
  }
}

/** The A values a query answer lists for `name` (sorted, without duplicates) and their TTL. */
export function aRecords(message: ParsedMessage, name: string): {values: string[]; ttl: number} | undefined {
  const owner = absolute(name)
  const records = message.answers.filter((r) => r.type === TYPE.A && r.klass === CLASS.IN && r.name === owner && r.rdata.length === 4)
  if (records.length === 0) return undefined
  const values = [...new Set(records.map((r) => [...r.rdata].join('.')))].sort()
  return {values, ttl: Math.min(...records.map((r) => r.ttl))}
}

/** The CNAME at `name` a query answer carries (a server answers an A query with it), and its TTL. */
export function cnameRecord(message: ParsedMessage, name: string): {target: string; ttl: number} | undefined {
  const owner = absolute(name)
  const found = message.answers.find((r) => r.type === TYPE.CNAME && r.klass === CLASS.IN && r.name === owner && r.target)
  return found?.target ? {target: found.target, ttl: found.ttl} : undefined
}
