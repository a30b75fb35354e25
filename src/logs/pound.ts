/**
 * pound logs through syslog. `LogLevel 3` writes Apache combined with the
 * virtual host first, `4` the same without it, `5` adds
 * `(service -> backend) 0.012 sec`. Written from pound 2.x's documentation of
 * LogLevel: pound is not packaged here, so no line of a running pound was seen.
 */
import {field, splitRequest, type AccessRecord} from './record.js'
import {clfDate, zoneOffset} from './time.js'

// [syslog prefix] [vhost] client - user [date zone] "request" status bytes "referer" "agent" [(service -> backend) N sec]
const LINE =
  /^(?:.*?\bpound(?:\[\d+\])?: )?(?:(\S+) )?(\S+) \S+ (\S+) \[(\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d) ([+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\S+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"(?: \((.*?) -> (\S+)\) ([\d.]+) sec)?$/

export function parsePound(line: string): AccessRecord | undefined {
  const m = LINE.exec(line)
  if (!m) return undefined
  const offset = zoneOffset(m[5])
  const time = offset === undefined ? Number.NaN : clfDate(m[4], 0, offset)
  if (Number.isNaN(time)) return undefined
  const record: AccessRecord = {
    time,
    client: m[2],
    user: field(m[3]),
    vhost: field(m[1]),
    ...splitRequest(m[6]),
    status: Number(m[7]),
    bytes: field(m[8]) === undefined ? undefined : Number(m[8]),
    referer: field(m[9]),
    userAgent: field(m[10]),
    raw: line,
  }
  if (m[11] !== undefined) {
    record.backend = m[11]
    record.server = m[12]
    record.timings = {total: Math.round(Number(m[13]) * 1000)}
  }
  return record
}
