import {expect} from 'chai'
import fc from 'fast-check'

import {json, type LogFormat, writer} from '../../../src/logs/format.js'
import {parseHaproxy} from '../../../src/logs/haproxy.js'
import {LineBuffer} from '../../../src/logs/output.js'
import type {AccessRecord, LineParser} from '../../../src/logs/record.js'
import {TextSource, Unparsed} from '../../../src/logs/source.js'
import {combinedBefore, jsonBefore, parseHaproxyBefore, vhostCombinedBefore} from './reference/haproxy-before.js'

// Records keep their line and offsets and combined writes from the line's text: the output must be what the
// copying parser and the string formatters printed, byte for byte, for every format.
const before: Record<LogFormat, (r: AccessRecord) => string> = {combined: combinedBefore, vhost_combined: vhostCombinedBefore, json: jsonBefore, raw: (r) => r.raw}

const word = (chars: string[], maxLength: number) => fc.string({unit: fc.constantFrom(...chars), minLength: 1, maxLength})
const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('')
const prefix = fc.constantFrom('', '<134>Nov 28 10:32:28 localhost haproxy[11840]: ', '<134>1 2026-11-28T10:32:27.148899+00:00 - haproxy 11764 - - ', 'Nov 28 10:32:28 lb1 haproxy[11840]: ')
const client = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.integer({min: 1, max: 65_535})).map(([a, b, port]) => `10.${a}.0.${b}:${port}`),
  fc.integer({min: 1, max: 65_535}).map((port) => `[::1]:${port}`),
  fc.constantFrom('unix', 'abns@front', '[2001:db8::7]:443'),
)
const date = fc
  .record({day: fc.integer({min: 1, max: 28}), month: fc.constantFrom('Jan', 'Mar', 'Jun', 'Nov', 'Dec'), hour: fc.nat(23), minute: fc.nat(59), second: fc.nat(59), ms: fc.nat(999)})
  .map(({day, month, hour, minute, second, ms}) => {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0')
    return `${p(day)}/${month}/2026:${p(hour)}:${p(minute)}:${p(second)}.${p(ms, 3)}`
  })
const name = fc.oneof(word(alnum, 20), fc.constant('<NOSRV>'), fc.constant('a-long-backend-name-x'))
const timer = fc.oneof(fc.integer({min: -1, max: 100_000}).map(String), fc.constantFrom('+13', 'x', '-1'))
const number = fc.oneof(fc.nat(1_000_000).map(String), fc.constantFrom('+500', '-', '4x4'))
const captures = fc.oneof(fc.constant(''), fc.constantFrom('{www.sandbox.test} ', '{-} ', '{} ', '{a|b} ', '{h.example:8443|x|y} ', '{no-close '))
const pathChar = fc.constantFrom('/', 'a', 'z', '?', '=', '&', '%', '"', '\\', ' ', 'é', '€', '😀', ':', '.', '-')
const path = fc.oneof(fc.string({unit: pathChar, maxLength: 30}), fc.constantFrom('/', '/index.html', 'https://h.example/p?q=1', 'http://h.example', '*'))
const request = fc.oneof(
  fc.tuple(fc.constantFrom('GET', 'POST', 'OPTIONS', 'A-VERY-LONG-METHOD'), path, fc.constantFrom('HTTP/1.1', 'HTTP/2.0', 'HTTP/1.0')).map(([m, p, v]) => `"${m} ${p} ${v}"`),
  fc.tuple(fc.constantFrom('GET', 'POST'), path).map(([m, p]) => `"${m} ${p}"`),
  fc.constantFrom('"<BADREQ>"', '""', '"GET"'),
  path.map((p) => `"${p}"`),
)
const line = fc
  .record({prefix, client, date, frontend: fc.constantFrom('www', 'www~', 'fe-tls'), backend: word(alnum, 12), server: name, timers: fc.array(timer, {minLength: 5, maxLength: 5}), status: number, bytes: number, captures, request})
  .map((l) => `${l.prefix}${l.client} [${l.date}] ${l.frontend} ${l.backend}/${l.server} ${l.timers.join('/')} ${l.status} ${l.bytes} - - ---- 1/1/0/0/0 0/0 ${l.captures}${l.request}`)
const lines = fc.array(fc.oneof({weight: 9, arbitrary: line}, {weight: 1, arbitrary: fc.constantFrom('', 'not a log line', 'Proxy www started.')}), {minLength: 1, maxLength: 12})

/** Every record of `text` read the way `hactl logs` reads a file (in place, through TextSource). */
function records(text: string, parse: LineParser): {records: AccessRecord[]; unparsed: number} {
  const unparsed = new Unparsed()
  const source = new TextSource(text, parse, 'lb1', unparsed)
  const out: AccessRecord[] = []
  for (let r = source.next(); r; r = source.next()) out.push(r)
  return {records: out, unparsed: unparsed.count}
}

function written(format: LogFormat, rs: AccessRecord[]): string {
  const chunks: Buffer[] = []
  // A small buffer, so lines cross flushes and the buffer grows.
  const out = new LineBuffer((chunk) => chunks.push(Buffer.from(chunk)), 16)
  const write = writer(format)
  for (const r of rs) write(out, r)
  out.flush()
  return Buffer.concat(chunks).toString('utf8')
}

describe('haproxy records read in place (property)', () => {
  it('print every format byte for byte as the copying parser and string formatters did', () => {
    fc.assert(
      fc.property(lines, fc.boolean(), (ls, crlf) => {
        const text = ls.join(crlf ? '\r\n' : '\n')
        const old = records(text, parseHaproxyBefore)
        const now = records(text, parseHaproxy)
        expect(now.unparsed).to.equal(old.unparsed)
        expect(now.records.length).to.equal(old.records.length)
        for (const format of ['combined', 'vhost_combined', 'json', 'raw'] as const) {
          const expected = old.records.map((r) => `${before[format](r)}\n`).join('')
          expect(written(format, now.records), format).to.equal(expected)
        }
        // One line parsed on its own (follow mode's path) gives the same record as read in place.
        for (const l of ls) {
          const a = parseHaproxyBefore(l)
          const b = parseHaproxy(l)
          expect(b && json(b), l).to.equal(a && jsonBefore(a))
          expect(b?.raw).to.equal(a?.raw)
        }
      }),
      {numRuns: 1500},
    )
  })
})
