/** How `hactl logs` prints a record: Apache's combined and vhost_combined, JSON lines, or the line as read. */
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
