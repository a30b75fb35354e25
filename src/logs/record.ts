/** One request as an access log tells it, whichever engine wrote the line. */
export interface AccessRecord {
  /** When the request arrived, ms since the epoch. */
  time: number
  /** The proxy whose log held the line (set by the reader, not the parser). */
  proxy?: string
  client: string
  user?: string
  vhost?: string
  method: string
  path: string
  proto: string
  status: number
  /** Bytes sent to the client; undefined when the log says `-`. */
  bytes?: number
  referer?: string
  userAgent?: string
  backend?: string
  server?: string
  timings?: Timings
  /** The line as read, for `--format raw` and `-v`. */
  raw: string
}

/** Milliseconds; -1 where the engine says the phase never completed (haproxy writes -1 for an aborted phase). */
export interface Timings {
  /** Time to receive the full request. */
  request?: number
  queue?: number
  connect?: number
  /** Time until the server's response headers. */
  response?: number
  total?: number
}

/** A parser turns one line into a record, or undefined when the line is not an access-log line it knows. */
export type LineParser = ((line: string) => AccessRecord | undefined) & {
  /** The same for the line at [from, to) of a larger text, read in place, where the parser can. */
  readonly range?: (text: string, from: number, to: number) => AccessRecord | undefined
}

/** `-` or empty means absent in every format we read. */
export function field(value: string | undefined): string | undefined {
  return value === undefined || value === '-' || value === '' ? undefined : value
}

/** Split `GET /a HTTP/1.1` into its parts; an odd request line keeps its text as the path. */
export function splitRequest(request: string): {method: string; path: string; proto: string} {
  const a = request.indexOf(' ')
  if (a < 0) return {method: '-', path: request, proto: '-'}
  const b = request.lastIndexOf(' ')
  if (b === a) return {method: request.slice(0, a), path: request.slice(a + 1), proto: '-'}
  return {method: request.slice(0, a), path: request.slice(a + 1, b), proto: request.slice(b + 1)}
}
