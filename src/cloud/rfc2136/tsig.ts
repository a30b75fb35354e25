/**
 * TSIG (RFC 8945): an HMAC over the message and a few variables, carried as
 * the last additional record. We sign each request and check the server's
 * signed answer against the request's MAC, so a forged or altered answer is
 * never believed.
 */
import {createHmac, timingSafeEqual} from 'node:crypto'

import type {TsigAlgorithm} from '../../cluster/dns-rfc2136.js'
import {absolute, CLASS, encodeName, MalformedMessage, readName, TYPE, type ParsedMessage} from './wire.js'

const HASH: Record<TsigAlgorithm, string> = {'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha1': 'sha1'}

/** Seconds of clock difference allowed between us and the server (RFC 8945 recommends 300). */
export const FUDGE = 300

/**
 * A TSIG key. The secret stays in a private field: it is not enumerable,
 * not in JSON, not in `util.inspect`, so it cannot leak into a log line or an
 * error's data by accident.
 */
export class TsigKey {
  readonly #secret: Buffer

  constructor(
    readonly name: string,
    readonly algorithm: TsigAlgorithm,
    secret: Buffer,
  ) {
    this.#secret = Buffer.from(secret)
  }

  mac(parts: Buffer[]): Buffer {
    const hmac = createHmac(HASH[this.algorithm], this.#secret)
    for (const p of parts) hmac.update(p)
    return hmac.digest()
  }

  toJSON(): {name: string; algorithm: TsigAlgorithm} {
    return {name: this.name, algorithm: this.algorithm}
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6)
  b.writeUIntBE(n, 0, 6)
  return b
}

interface Variables {
  keyName: string
  algorithm: string
  timeSigned: number
  fudge: number
  error: number
  other: Buffer
}

/** RFC 8945 §4.3.3: the TSIG variables that enter the digest. */
function variables(v: Variables): Buffer {
  return Buffer.concat([
    encodeName(v.keyName),
    u16(CLASS.ANY),
    Buffer.alloc(4), // TTL 0
    encodeName(v.algorithm),
    u48(v.timeSigned),
    u16(v.fudge),
    u16(v.error),
    u16(v.other.length),
    v.other,
  ])
}

export interface Signed {
  message: Buffer
  /** The request MAC, which the server's answer MAC covers. */
  mac: Buffer
}

/** Append a TSIG record to an unsigned message (ARCOUNT + 1). */
export function sign(message: Buffer, key: TsigKey, now = Date.now()): Signed {
  const timeSigned = Math.floor(now / 1000)
  const vars = {keyName: key.name, algorithm: key.algorithm, timeSigned, fudge: FUDGE, error: 0, other: Buffer.alloc(0)}
  const mac = key.mac([message, variables(vars)])
  const rdata = Buffer.concat([encodeName(key.algorithm), u48(timeSigned), u16(FUDGE), u16(mac.length), mac, message.subarray(0, 2), u16(0), u16(0)])
  const record = Buffer.concat([encodeName(key.name), u16(TYPE.TSIG), u16(CLASS.ANY), Buffer.alloc(4), u16(rdata.length), rdata])
  const out = Buffer.concat([message, record])
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10)
  return {message: out, mac}
}

export interface TsigRecord {
  keyName: string
  algorithm: string
  timeSigned: number
  fudge: number
  mac: Buffer
  originalId: number
  error: number
  other: Buffer
  /** Offset of the record in the message: everything before it is what was signed. */
  start: number
}

export function readTsig(buf: Buffer, message: ParsedMessage): TsigRecord | undefined {
  const last = message.additionals.at(-1)
  if (!last || last.type !== TYPE.TSIG) return undefined
  const {name: algorithm, next} = readName(buf, last.rdataStart)
  const end = last.rdataStart + last.rdata.length
  if (next + 10 > end) throw new MalformedMessage('short TSIG record')
  const macSize = buf.readUInt16BE(next + 8)
  const afterMac = next + 10 + macSize
  if (afterMac + 6 > end) throw new MalformedMessage('short TSIG record')
  const otherLen = buf.readUInt16BE(afterMac + 4)
  if (afterMac + 6 + otherLen > end) throw new MalformedMessage('short TSIG record')
  return {
    keyName: last.name,
    algorithm,
    timeSigned: buf.readUIntBE(next, 6),
    fudge: buf.readUInt16BE(next + 6),
    mac: buf.subarray(next + 10, afterMac),
    originalId: buf.readUInt16BE(afterMac),
    error: buf.readUInt16BE(afterMac + 2),
    other: buf.subarray(afterMac + 6, afterMac + 6 + otherLen),
    start: last.start,
  }
}

export type Verdict =
  | {ok: true; tsig: TsigRecord}
  /** unsigned: no TSIG at all; error: the server reports a TSIG error (BADKEY, BADSIG, BADTIME) in it. */
  | {ok: false; reason: 'unsigned' | 'wrong-key' | 'bad-mac' | 'bad-time'; tsig?: TsigRecord}

/**
 * Check a server's answer to a request we signed with `requestMac` (RFC 8945
 * §5.3): same key and algorithm, MAC over request MAC + answer without its
 * TSIG (original ID, ARCOUNT − 1) + variables, and a time within the fudge.
 */
export function verify(buf: Buffer, message: ParsedMessage, key: TsigKey, requestMac: Buffer, now = Date.now()): Verdict {
  const tsig = readTsig(buf, message)
  if (!tsig) return {ok: false, reason: 'unsigned'}
  if (tsig.keyName !== absolute(key.name) || tsig.algorithm !== absolute(key.algorithm)) return {ok: false, reason: 'wrong-key', tsig}
  // A server that could not check our MAC (BADSIG/BADKEY) answers without one.
  if (tsig.mac.length === 0) return {ok: false, reason: 'bad-mac', tsig}
  const unsigned = Buffer.from(buf.subarray(0, tsig.start))
  unsigned.writeUInt16BE(tsig.originalId, 0)
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10)
  const expected = key.mac([u16(requestMac.length), requestMac, unsigned, variables(tsig)])
  // RFC 8945 §5.2.2.1: a truncated MAC is acceptable down to half the digest (and 10 bytes).
  const minimum = Math.max(10, expected.length / 2)
  if (tsig.mac.length < minimum || tsig.mac.length > expected.length || !timingSafeEqual(tsig.mac, expected.subarray(0, tsig.mac.length))) {
    return {ok: false, reason: 'bad-mac', tsig}
  }
  if (Math.abs(Math.floor(now / 1000) - tsig.timeSigned) > tsig.fudge) return {ok: false, reason: 'bad-time', tsig}
  return {ok: true, tsig}
}
