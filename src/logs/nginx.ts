/**
 * nginx access logs: `combined`, the `main` of nginx's sample config, and any
 * `log_format` declared in the proxy's config, compiled from its format
 * string into one anchored regular expression (variables become captures,
 * the text between them is matched literally).
 */
import {field, splitRequest, type AccessRecord, type LineParser} from './record.js'
import {clfDate, zoneOffset} from './time.js'

export const NGINX_FORMATS: Record<string, string> = {
  combined: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
  main: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"',
}

type Setter = (record: Partial<AccessRecord> & {timings: NonNullable<AccessRecord['timings']>}, value: string) => void

const seconds = (v: string): number | undefined => {
  // upstream timings may list several upstreams ("0.001, 0.002"); the last one answered.
  const last = v.split(/[,:] ?/).pop() ?? v
  const n = Number(last)
  return last === '-' || last === '' || Number.isNaN(n) ? undefined : Math.round(n * 1000)
}

/** The variables that fill a record; every other variable is matched and ignored. */
const SETTERS: Record<string, Setter> = {
  remote_addr: (r, v) => (r.client = v),
  remote_user: (r, v) => (r.user = field(unescape(v))),
  time_local: (r, v) => {
    const offset = zoneOffset(v.slice(21))
    r.time = offset === undefined ? Number.NaN : clfDate(v, 0, offset)
  },
  time_iso8601: (r, v) => (r.time = Date.parse(v)),
  msec: (r, v) => (r.time = Math.round(Number(v) * 1000)),
  request: (r, v) => Object.assign(r, splitRequest(unescape(v))),
  request_method: (r, v) => (r.method = v),
  request_uri: (r, v) => (r.path = v),
  server_protocol: (r, v) => (r.proto = v),
  status: (r, v) => (r.status = Number(v)),
  body_bytes_sent: (r, v) => (r.bytes = field(v) === undefined ? undefined : Number(v)),
  bytes_sent: (r, v) => (r.bytes ??= field(v) === undefined ? undefined : Number(v)),
  http_referer: (r, v) => (r.referer = field(unescape(v))),
  http_user_agent: (r, v) => (r.userAgent = field(unescape(v))),
  host: (r, v) => (r.vhost = field(v)),
  http_host: (r, v) => (r.vhost ??= field(v)),
  server_name: (r, v) => (r.vhost ??= field(v)),
  proxy_host: (r, v) => (r.backend = field(v)),
  upstream_addr: (r, v) => (r.server = field(v.split(/, | : /).pop())),
  request_time: (r, v) => (r.timings.total = seconds(v)),
  upstream_connect_time: (r, v) => (r.timings.connect = seconds(v)),
  upstream_header_time: (r, v) => (r.timings.response = seconds(v)),
  upstream_response_time: (r, v) => (r.timings.response ??= seconds(v)),
}

/** nginx writes `"`, `\\` and unprintable bytes of a variable as `\\xHH`. */
const unescape = (v: string): string => (v.includes('\\x') ? v.replace(/\\x([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : v)

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Compile an nginx `log_format` string into a line parser; throws on a format with no time or no request. */
export function compileNginxFormat(format: string): LineParser {
  const parts = format.split(/\$(\{\w+\}|\w+)/)
  const names: string[] = []
  let source = '^'
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) source += escapeRegExp(parts[i])
    else {
      const name = parts[i].replace(/[{}]/g, '')
      names.push(name)
      // The last variable takes the rest; the others stop at the first place the next literal can match.
      source += i === parts.length - 2 && parts[i + 1] === '' ? '(.*)' : '(.*?)'
    }
  }
  const pattern = new RegExp(`${source}$`)
  if (!names.some((n) => n === 'time_local' || n === 'time_iso8601' || n === 'msec')) throw new Error('the log_format has no $time_local, $time_iso8601 or $msec: its lines cannot be put in time order')
  if (!names.includes('request') && !(names.includes('request_method') && names.includes('request_uri'))) throw new Error('the log_format has no $request (or $request_method and $request_uri)')
  const setters = names.map((n) => SETTERS[n])
  return (line) => {
    const m = pattern.exec(line)
    if (!m) return undefined
    const record: Partial<AccessRecord> & {timings: NonNullable<AccessRecord['timings']>} = {timings: {}, raw: line, method: '-', path: '-', proto: '-'}
    for (let i = 0; i < setters.length; i++) setters[i]?.(record, m[i + 1])
    if (record.time === undefined || Number.isNaN(record.time) || record.client === undefined || record.status === undefined || Number.isNaN(record.status)) return undefined
    if (Object.keys(record.timings).length === 0) delete (record as Partial<AccessRecord>).timings
    return record as AccessRecord
  }
}

/**
 * The `log_format NAME 'part' 'part' …;` declarations of an nginx config, by
 * name, their quoted parts joined as nginx joins them.
 */
export function nginxLogFormats(config: string): Record<string, string> {
  const formats: Record<string, string> = {}
  const declaration = /(?:^|[;{}\s])log_format\s+(\w+)((?:\s+escape=\w+)?)((?:\s+(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s;'"]+))+)\s*;/g
  for (const m of config.replace(/#[^\n]*/g, '').matchAll(declaration)) {
    const parts = [...m[3].matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s;'"]+)/g)].map((p) => (p[1] ?? p[2] ?? p[3]).replace(/\\(.)/g, '$1'))
    formats[m[1]] = parts.join('')
  }
  return formats
}

/** The path and format name of the first `access_log` that writes a file (not `off`, not syslog:). */
export function nginxAccessLog(config: string): {path: string; format: string} | undefined {
  for (const m of config.replace(/#[^\n]*/g, '').matchAll(/(?:^|[;{}\s])access_log\s+([^\s;]+)(?:\s+(\w+))?[^;]*;/g)) {
    if (m[1] === 'off' || m[1].startsWith('syslog:')) continue
    return {path: m[1], format: m[2] ?? 'combined'}
  }
  return undefined
}

/** The parser for the format an nginx config logs with: a declared `log_format`, else nginx's built-in ones. */
export function nginxParser(config: string | undefined, formatName?: string): LineParser {
  const declared = config ? nginxLogFormats(config) : {}
  const name = formatName ?? (config ? nginxAccessLog(config)?.format : undefined) ?? 'combined'
  const format = declared[name] ?? NGINX_FORMATS[name]
  if (format === undefined) throw new Error(`no log_format named "${name}" in the nginx config`)
  return compileNginxFormat(format)
}
