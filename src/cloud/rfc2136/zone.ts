/**
 * A DnsZone on a primary server that takes RFC 2136 updates (BIND, Knot,
 * PowerDNS). Every message is signed with the TSIG key and every answer's
 * signature is checked. Publishing is one UPDATE: delete the A set and add
 * the new values, guarded by a prerequisite on the set as read, so the server
 * applies all of it or nothing, and a concurrent change is refused rather
 * than overwritten; then a query shows the server serves the new set.
 */
import {randomInt} from 'node:crypto'

import {CloudError, UsageError} from '../../errors.js'
import {DnsConflictError, sameValues, type DnsZone, type RecordSet, type UpsertOptions} from '../dns-zone.js'
import {exchange, TransportError} from './transport.js'
import {sign, verify, type TsigKey} from './tsig.js'
import {absolute, aRecords, buildQuery, cnameRecord, buildUpdate, MalformedMessage, parseMessage, rcodeName, type ParsedMessage} from './wire.js'
import {poll} from '../../util/poll.js'

export interface Rfc2136ZoneOptions {
  server: string
  port: number
  zone: string
  key: TsigKey
  /** Per send. */
  timeoutMs: number
  tries: number
  /** How long `wait` keeps asking until the server answers with the new set. Default: tries × timeout. */
  syncTimeoutMs?: number
}

const RCODE = {NOERROR: 0, NXDOMAIN: 3, REFUSED: 5, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10} as const
const TSIG_ERROR = {BADSIG: 16, BADKEY: 17, BADTIME: 18} as const

type Purpose = 'query' | 'update'

export class Rfc2136Zone implements DnsZone {
  readonly dnsKind = 'rfc2136' as const
  readonly cnames = true
  private readonly zone: string

  constructor(private readonly options: Rfc2136ZoneOptions) {
    this.zone = absolute(options.zone)
  }

  private get where(): string {
    const {port, server} = this.options
    return server.includes(':') ? `[${server}]:${port}` : `${server}:${port}`
  }

  async getRecordSet(name: string): Promise<RecordSet | undefined> {
    const {message} = await this.send(buildQuery(randomInt(0x10000), name), 'query', name)
    if (message.rcode !== RCODE.NOERROR && message.rcode !== RCODE.NXDOMAIN) throw this.refusal(message.rcode, 'query', name)
    const cname = cnameRecord(message, name)
    if (cname) return {name: absolute(name), type: 'CNAME', ttl: cname.ttl, values: [cname.target.replace(/\.$/, '')]}
    const set = aRecords(message, name)
    return set && {name: absolute(name), type: 'A', ttl: set.ttl, values: set.values}
  }

  async upsertRecordSet(records: RecordSet, options: UpsertOptions = {}): Promise<void> {
    const name = absolute(records.name)
    if (records.values.length === 0) throw new CloudError(`refusing to publish an empty record set for ${name}`)
    if (!inZone(name, this.zone)) {
      throw new UsageError(`${name} is not inside the zone ${this.zone}`, {actions: ['Set dns.name to a name inside dns.zone.']})
    }
    const request = buildUpdate({
      id: randomInt(0x10000),
      zone: this.zone,
      name,
      ttl: records.ttl,
      values: records.values,
      ...(records.type === 'CNAME' ? {type: 'CNAME' as const} : {}),
      ...(options.expected?.type === 'CNAME' ? {expectedType: 'CNAME' as const} : {}),
      ...(options.expected === undefined ? {} : {expected: options.expected?.values ?? null}),
    })
    const {message, sends} = await this.send(request, 'update', name)
    if (message.rcode === RCODE.YXRRSET || message.rcode === RCODE.NXRRSET) {
      const live = await this.getRecordSet(name)
      // A resend after a lost answer meets its own earlier, applied copy: that is success, not a conflict.
      if (sends > 1 && live && sameValues(live.values, records.values) && live.ttl === records.ttl) return
      const was = options.expected ? options.expected.values.join(' ') : 'no record'
      throw new DnsConflictError(`${name} changed on ${this.where} since it was read (read: ${was}; now: ${live ? live.values.join(' ') : 'no record'}): nothing was published`, {
        data: {server: this.where, zone: this.zone, name, rcode: rcodeName(message.rcode), live: live?.values ?? []},
      })
    }
    if (message.rcode !== RCODE.NOERROR) throw this.refusal(message.rcode, 'update', name)
    if (options.wait !== false) await this.waitServed(name, records)
  }

  /**
   * The UPDATE `upsertRecordSet` would send, as `nsupdate` commands (for
   * `--dry-run`): an operator can read it, or feed it to `nsupdate -k KEYFILE`.
   * The key is named, its secret is not.
   */
  explainUpsert(records: RecordSet, options: Pick<UpsertOptions, 'expected'> = {}): string[] {
    const name = absolute(records.name)
    const cname = records.type === 'CNAME'
    const prerequisites =
      options.expected === undefined
        ? []
        : options.expected === null
          ? [`prereq nxrrset ${name} IN A`, ...(cname ? [`prereq nxrrset ${name} IN CNAME`] : [])]
          : options.expected.type === 'CNAME'
            ? [`prereq yxrrset ${name} IN CNAME ${absolute(options.expected.values[0] ?? '')}`]
            : [...new Set(options.expected.values)].map((v) => `prereq yxrrset ${name} IN A ${v}`)
    // A CNAME replaces the A records at the name: a name cannot hold both.
    const updates = cname
      ? [`update delete ${name} IN A`, `update delete ${name} IN CNAME`, `update add ${name} ${records.ttl} IN CNAME ${absolute(records.values[0] ?? '')}`]
      : [`update delete ${name} IN A`, ...[...new Set(records.values)].map((v) => `update add ${name} ${records.ttl} IN A ${v}`)]
    return [
      `; signed with TSIG key ${this.options.key.name} (${this.options.key.algorithm})`,
      `server ${this.options.server} ${this.options.port}`,
      `zone ${this.zone}`,
      ...prerequisites,
      ...updates,
      'send',
    ]
  }

  /** The primary applies an update before it answers, so this normally passes on the first query. */
  private async waitServed(name: string, records: RecordSet): Promise<void> {
    const {value: live, done} = await poll(
      () => this.getRecordSet(name),
      (live) => live !== undefined && sameValues(live.values, records.values) && live.ttl === records.ttl,
      {timeoutMs: this.options.syncTimeoutMs ?? this.options.timeoutMs * this.options.tries, delayMs: 50, maxDelayMs: 1000},
    )
    if (done) return
    throw new CloudError(`${this.where} accepted the update of ${name} but answers ${live ? `${live.values.join(' ')} (ttl ${live.ttl})` : 'no record'}`, {
      actions: ['Check that dns.server is the zone\'s primary, then run `hactl dns show`.'],
      data: {server: this.where, zone: this.zone, name},
    })
  }

  /** Sign, send, and accept only an answer signed by the same key. */
  private async send(request: Buffer, purpose: Purpose, name: string): Promise<{message: ParsedMessage; sends: number}> {
    const {key, port, server, timeoutMs, tries} = this.options
    const signed = sign(request, key)
    let answer
    try {
      answer = await exchange(signed.message, {host: server, port, timeoutMs, tries})
    } catch (error) {
      if (!(error instanceof TransportError)) throw error
      // A send that timed out may have reached the server and been applied; a refused one was not.
      const unsure = purpose === 'update' && error.kind !== 'refused' && error.sends > 0
      throw new CloudError(`no answer from the DNS server ${this.where} to the ${purpose} of ${name}: ${error.message}${unsure ? ' (the update may have been applied)' : ''}`, {
        cause: error,
        actions: [
          'Check dns.server and dns.port, and that the server listens there and lets this machine through.',
          ...(unsure ? ['Run `hactl dns show` to see what the record holds now.'] : []),
        ],
        data: {server: this.where, zone: this.zone, name, ...(purpose === 'update' ? {applied: unsure ? 'unknown' : false} : {})},
      })
    }
    let message: ParsedMessage
    let verdict
    try {
      message = parseMessage(answer.response)
      verdict = verify(answer.response, message, key, signed.mac)
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error
      throw new CloudError(`the DNS server ${this.where} sent a malformed answer to the ${purpose} of ${name} (${error.message})`, {cause: error})
    }
    const tsigError = verdict.tsig?.error ?? 0
    if (tsigError !== 0) throw this.authError(tsigError, purpose, name)
    if (!verdict.ok) {
      if (message.rcode === RCODE.NOTAUTH) throw this.refusal(message.rcode, purpose, name)
      throw new CloudError(`the answer from ${this.where} (${rcodeName(message.rcode)}) to the ${purpose} of ${name} is not signed with TSIG key ${key.name} (${verdict.reason}): not trusting it`, {
        actions: ['Check that dns.server is the server that holds this key, and that nothing between rewrites DNS.'],
        data: {server: this.where, zone: this.zone, name, keyName: key.name},
      })
    }
    return {message, sends: answer.sends}
  }

  private authError(tsigError: number, purpose: Purpose, name: string): CloudError {
    const {algorithm, name: keyName} = this.options.key
    const data = {server: this.where, zone: this.zone, name, keyName, tsigError: rcodeName(tsigError)}
    const subject = `the ${purpose} of ${name}`
    switch (tsigError) {
      case TSIG_ERROR.BADKEY:
        return new CloudError(`the DNS server ${this.where} does not know TSIG key ${keyName} (${algorithm}); ${subject} was not done`, {
          data,
          actions: ['Check dns.tsig.keyName and dns.tsig.algorithm against the key statement on the server.'],
        })
      case TSIG_ERROR.BADSIG:
        return new CloudError(`the DNS server ${this.where} rejected the signature of TSIG key ${keyName}: its secret differs from the server's; ${subject} was not done`, {
          data,
          actions: ['Check the secret in dns.tsig.secretFile or dns.tsig.secretEnv against the key statement on the server.'],
        })
      case TSIG_ERROR.BADTIME:
        return new CloudError(`the DNS server ${this.where} rejected TSIG key ${keyName}: its clock and this machine's differ by more than 5 minutes; ${subject} was not done`, {
          data,
          actions: ['Synchronise the clocks (NTP) on this machine and the DNS server.'],
        })
      default:
        return new CloudError(`the DNS server ${this.where} refused TSIG key ${keyName} (${rcodeName(tsigError)}); ${subject} was not done`, {data})
    }
  }

  private refusal(rcode: number, purpose: Purpose, name: string): CloudError {
    const keyName = this.options.key.name
    const data = {server: this.where, zone: this.zone, name, keyName, rcode: rcodeName(rcode)}
    switch (rcode) {
      case RCODE.REFUSED:
        return new CloudError(`the DNS server ${this.where} refused the ${purpose} of ${name} in zone ${this.zone} signed with TSIG key ${keyName}; nothing was changed`, {
          data,
          actions:
            purpose === 'update'
              ? [`Allow the key on the server, e.g. update-policy { grant ${keyName} name ${name} A; }; in the zone ${this.zone}.`]
              : ['Allow queries from this machine or this key (allow-query) for the zone on the server.'],
        })
      case RCODE.NOTAUTH:
        return new CloudError(`the DNS server ${this.where} is not authoritative for zone ${this.zone}; nothing was changed`, {
          data,
          actions: ['Point dns.server at the zone\'s primary, and check dns.zone.'],
        })
      case RCODE.NOTZONE:
        return new CloudError(`the DNS server ${this.where} says ${name} is not in zone ${this.zone}; nothing was changed`, {
          data,
          actions: ['Check dns.zone and dns.name against the zone on the server.'],
        })
      default:
        return new CloudError(`the DNS server ${this.where} answered the ${purpose} of ${name} with ${rcodeName(rcode)}${purpose === 'update' ? '; nothing was changed' : ''}`, {
          data,
          actions: ['Look at the server\'s log for the reason.'],
        })
    }
  }
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`)
}
