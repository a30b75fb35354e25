/** How `hactl logs` prints a record: Apache's combined and vhost_combined, JSON lines, or the line as read. */
import {HaproxyRecord} from './haproxy.js'
import type {LineBuffer} from './output.js'
import type {AccessRecord} from './record.js'
import {formatClf} from './time.js'

export const LOG_FORMATS = ['combined', 'vhost_combined', 'json', 'raw'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** Apache quotes `"` and `\` inside quoted fields with a backslash. */
const quote = (s: string | undefined): string => (s === undefined ? '-' : s.includes('"') || s.includes('\\') ? s.replace(/["\\]/g, '\\$&') : s)

/** `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"` */
export function combined(r: AccessRecord): string {
  // The request's parts are quoted one by one: quoting the joined request would first copy it into one string.
  const request = r.method === '-' && r.proto === '-' ? quote(r.path) : `${quote(r.method)} ${quote(r.path)} ${quote(r.proto)}`
  return `${r.client} - ${r.user ?? '-'} [${formatClf(r.time)}] "${request}" ${r.status} ${r.bytes ?? '-'} "${quote(r.referer)}" "${quote(r.userAgent)}"`
}

/** Apache's vhost_combined puts `%v` (the virtual host) before the combined fields. */
export function vhostCombined(r: AccessRecord): string {
  return `${r.vhost ?? '-'} ${combined(r)}`
}

export function json(r: AccessRecord): string {
  if (r instanceof HaproxyRecord) return JSON.stringify(r.forJson())
  const {raw: _raw, ...rest} = r
  return JSON.stringify({...rest, time: new Date(r.time).toISOString()})
}

export function formatter(format: LogFormat): (r: AccessRecord) => string {
  switch (format) {
    case 'combined':
      return combined
    case 'vhost_combined':
      return vhostCombined
    case 'json':
      return json
    case 'raw':
      return (r) => r.raw
  }
}

/** Writes one record as a line into the output buffer. */
export type RecordWriter = (out: LineBuffer, r: AccessRecord) => void

/**
 * `combined` written straight into the output buffer, the same bytes as
 * `combined(r)` and a newline: no string is made for the line or its parts,
 * which at a million lines a second is most of what formatting costs.
 */
export function writeCombined(out: LineBuffer, r: AccessRecord): void {
  // A haproxy record's client and path are written from its line: they are never made into strings.
  const line = r instanceof HaproxyRecord ? r : undefined
  if (line) out.textRange(line.text, line.clientFrom, line.clientTo)
  else out.text(r.client)
  if (r.user === undefined) out.bytes(stamp(r.time))
  else {
    out.text(' - ')
    out.text(r.user)
    out.text(' [')
    out.text(formatClf(r.time))
    out.text('] "')
  }
  if (r.method === '-' && r.proto === '-') writePath(out, r, line)
  else {
    out.quoted(r.method)
    out.byte(32)
    writePath(out, r, line)
    out.byte(32)
    out.quoted(r.proto)
  }
  out.text('" ')
  out.int(r.status)
  out.byte(32)
  if (r.bytes === undefined) out.byte(45)
  else out.int(r.bytes)
  if (r.referer === undefined && r.userAgent === undefined) out.bytes(NO_REFERER_AGENT)
  else {
    out.text(' "')
    if (r.referer === undefined) out.byte(45)
    else out.quoted(r.referer)
    out.text('" "')
    if (r.userAgent === undefined) out.byte(45)
    else out.quoted(r.userAgent)
    out.byte(34)
  }
  out.end()
}

/** The tail of a line with neither referer nor user agent (every haproxy line). */
const NO_REFERER_AGENT = Buffer.from(' "-" "-"', 'latin1')

let stampSecond = Number.NaN
let stampBytes = Buffer.alloc(0)

/** ` - - [date] "` with no user, encoded once per second: lines of one second share it. */
function stamp(ms: number): Buffer {
  const second = Math.floor(ms / 1000)
  if (second !== stampSecond) {
    stampBytes = Buffer.from(` - - [${formatClf(ms)}] "`, 'latin1')
    stampSecond = second
  }
  return stampBytes
}

function writePath(out: LineBuffer, r: AccessRecord, line: HaproxyRecord | undefined): void {
  if (line && line.pathText === undefined) out.quotedRange(line.text, line.pathFrom, line.pathTo)
  else out.quoted(r.path)
}

export function writer(format: LogFormat): RecordWriter {
  switch (format) {
    case 'combined':
      return writeCombined
    case 'vhost_combined':
      return (out, r) => {
        out.text(r.vhost ?? '-')
        out.byte(32)
        writeCombined(out, r)
      }
    default: {
      const print = formatter(format)
      return (out, r) => out.line(print(r))
    }
  }
}
