/**
 * HAProxy `option httplog` lines, as haproxy writes them raw (`log stdout
 * format raw`), with its own syslog header (rfc3164 / rfc5424) or behind a
 * syslog daemon's prefix (`Nov 28 10:32:28 host haproxy[123]: …`):
 *
 *   127.0.0.1:44928 [28/Nov/2026:10:32:19.752] www web/s1 0/0/0/13/13 404 500 - - ---- 1/1/0/0/0 0/0 {host} "GET /a HTTP/1.1"
 *
 * Hand-written rather than a regular expression: it runs a million times a
 * second in `bench/logs` and does one scan of the line. The accept date is
 * the host's local time with no zone, so it is read in this machine's zone.
 */
import {type AccessRecord, type LineParser, type Timings} from './record.js'
import {clfDate} from './time.js'

const SPACE = 32
const SLASH = 47
const DIGIT_0 = 48
const DIGIT_9 = 57

/**
 * The few short words a field takes again and again (`GET`, `HTTP/1.1`, a
 * backend's and its servers' names): a word seen lately is reused when the
 * line has the same characters there, so the records held in the merge's
 * reordering window share them instead of each holding copies. Only words
 * V8 copies when sliced (under 13 characters) are kept, so the cache never
 * holds on to a log's text.
 */
class RecentWords {
  private readonly words: string[] = []
  private next = 0

  /** `copyLong`: keep longer words too, as copies of their own (a vhost is often longer than 12 characters). */
  constructor(
    private readonly size: number,
    private readonly copyLong = false,
  ) {}

  get(line: string, from: number, to: number): string {
    const length = to - from
    const {words} = this
    for (let i = 0; i < words.length; i++) {
      const word = words[i]
      if (word.length === length && line.startsWith(word, from)) return word
    }
    let word = line.slice(from, to)
    if (length < 13 || this.copyLong) {
      // A slice of 13 characters or more is a view that keeps the whole text alive; a slice of a joined string is not.
      if (length >= 13) word = ` ${word}`.slice(1)
      words[this.next] = word
      this.next = (this.next + 1) % this.size
    }
    return word
  }
}

const methods = new RecentWords(4)
const protocols = new RecentWords(2)
const backends = new RecentWords(4)
const servers = new RecentWords(16)
const vhosts = new RecentWords(8, true)

/** Where `[dd/Mon/yyyy:` of the accept date opens, skipping any syslog header before the client. */
function acceptDate(line: string, from: number, to: number): number {
  let at = line.indexOf(' [', from)
  while (at >= 0 && at + 26 < to) {
    const c = line.charCodeAt(at + 2)
    if (c >= DIGIT_0 && c <= DIGIT_9 && line.charCodeAt(at + 4) === 47 && line.charCodeAt(at + 26) === 93) return at + 1
    at = line.indexOf(' [', at + 2)
  }
  return -1
}

/** The next space-separated word from `at`: [start, end). */
function wordEnd(line: string, at: number, to: number): number {
  const end = line.indexOf(' ', at)
  return end < 0 || end > to ? to : end
}

/** Where the last `intUntil` stopped. */
let stopped = 0

/**
 * A whole number (optionally signed) from `at` that ends at the character
 * `stop`; NaN when anything else comes first. One pass that also finds the
 * end (left in `stopped`), where int() needs the end found first.
 */
function intUntil(line: string, at: number, stop: number): number {
  let i = at
  let c = line.charCodeAt(i)
  let negative = false
  if (c === 45) {
    negative = true
    c = line.charCodeAt(++i)
  } else if (c === 43) c = line.charCodeAt(++i)
  const first = i
  let n = 0
  while (c >= DIGIT_0 && c <= DIGIT_9) {
    n = n * 10 + (c - DIGIT_0)
    c = line.charCodeAt(++i)
  }
  stopped = i
  return i > first && c === stop ? (negative ? -n : n) : Number.NaN
}

function int(line: string, from: number, to: number): number {
  let n = 0
  let i = from
  let negative = false
  if (line.charCodeAt(i) === 45) {
    negative = true
    i++
  } else if (line.charCodeAt(i) === 43) i++
  if (i >= to) return Number.NaN
  for (; i < to; i++) {
    const c = line.charCodeAt(i)
    if (c < DIGIT_0 || c > DIGIT_9) return Number.NaN
    n = n * 10 + (c - DIGIT_0)
  }
  return negative ? -n : n
}

/**
 * The line at [from, to) of a larger text, read in place: a log's text is
 * one flat string, so reading it there is cheaper than reading a slice of
 * it, and no string is made for a line that is not a request.
 */
function parseRange(line: string, from: number, to: number): AccessRecord | undefined {
  const bracket = acceptDate(line, from, to)
  if (bracket < 0) return undefined
  const space = line.lastIndexOf(' ', bracket - 2)
  const clientStart = space < from ? from : space + 1
  // `1.2.3.4:port`, `[::1]:port`, or a unix socket's name with no port: kept as a range of the line, sliced only when asked for.
  let clientFrom = clientStart
  let clientTo: number
  if (line.charCodeAt(clientStart) === 91) {
    clientFrom = clientStart + 1
    clientTo = line.indexOf(']', clientStart)
    // slice()'s rule for an end before the start (no `]`): the empty string.
    if (clientTo < clientFrom) clientTo = clientFrom
  } else {
    const colon = line.lastIndexOf(':', bracket - 2)
    clientTo = colon > clientStart ? colon : bracket - 1
  }
  const seconds = clfDate(line, bracket + 1)
  if (Number.isNaN(seconds)) return undefined
  // `.mmm]`
  const ms = int(line, bracket + 22, bracket + 25)
  if (Number.isNaN(ms)) return undefined
  let at = bracket + 27
  const frontendEnd = wordEnd(line, at, to)
  at = frontendEnd + 1
  const bsEnd = wordEnd(line, at, to)
  const slash = line.indexOf('/', at)
  if (slash < 0 || slash > bsEnd) return undefined
  at = bsEnd + 1
  // TR/Tw/Tc/Tr/Ta (checked here, read again only when asked for), then status and bytes: each read in one pass as it is found.
  const timers = timersSum(line, at)
  const status = intUntil(line, stopped + 1, SPACE)
  const bytes = intUntil(line, stopped + 1, SPACE)
  const bytesEnd = stopped
  if (Number.isNaN(timers + status + bytes)) {
    // Something other than a number in those fields: read them word by word, as haproxy separates them.
    const slow = countersByWord(line, at, to)
    if (!slow) return undefined
    return finish(line, from, to, clientFrom, clientTo, seconds + ms, slash, slow.status, slow.bytes, slow.bytesEnd)
  }
  return finish(line, from, to, clientFrom, clientTo, seconds + ms, slash, status, bytes, bytesEnd)
}

/** The five timers `TR/Tw/Tc/Tr/Ta` from `at`, read in one pass only to check them: their sum, NaN when one is not a plain number ending at its separator. */
function timersSum(line: string, at: number): number {
  const request = intUntil(line, at, SLASH)
  const queue = intUntil(line, stopped + 1, SLASH)
  const connect = intUntil(line, stopped + 1, SLASH)
  const response = intUntil(line, stopped + 1, SLASH)
  return request + queue + connect + response + intUntil(line, stopped + 1, SPACE)
}

export const parseHaproxy: LineParser = Object.assign((line: string) => parseRange(line, 0, line.length), {range: parseRange})

/** The timers, status and bytes read word by word: the slow way, for lines where a field is not a plain number. */
function countersByWord(line: string, at: number, to: number): {timings: Required<Timings>; status: number; bytes: number; bytesEnd: number} | undefined {
  const timersEnd = wordEnd(line, at, to)
  const s1 = line.indexOf('/', at)
  const s2 = line.indexOf('/', s1 + 1)
  const s3 = line.indexOf('/', s2 + 1)
  const s4 = line.indexOf('/', s3 + 1)
  if (s1 < 0 || s2 < 0 || s3 < 0 || s4 < 0 || s4 > timersEnd) return undefined
  const timings = {request: int(line, at, s1), queue: int(line, s1 + 1, s2), connect: int(line, s2 + 1, s3), response: int(line, s3 + 1, s4), total: int(line, s4 + 1, timersEnd)}
  const statusEnd = wordEnd(line, timersEnd + 1, to)
  const status = int(line, timersEnd + 1, statusEnd)
  const bytesEnd = wordEnd(line, statusEnd + 1, to)
  const bytes = int(line, statusEnd + 1, bytesEnd)
  if (Number.isNaN(status) || Number.isNaN(bytes) || bytesEnd >= to || line.charCodeAt(bytesEnd) !== SPACE) return undefined
  return {timings, status, bytes, bytesEnd}
}

/**
 * A record that keeps its line and the offsets of its fields rather than
 * copies: the client, path, backend, server, vhost, timings and the raw line
 * are made only when read. `combined` output writes the client and path
 * straight from the line (see format.ts) and reads none of the others, so at
 * a million lines a second most of them are never made, and a record is
 * small: less for the garbage collector to copy while records wait in the
 * merge's reordering window.
 */
export class HaproxyRecord implements AccessRecord {
  // Declared here, in this order, so every record has one shape (hidden class).
  proxy: string | undefined = undefined
  /** The path when it is not the line's text at [pathFrom, pathTo) (an absolute-form request's, or one set later). */
  pathText: string | undefined = undefined
  /** The vhost when it is not the first capture's (an absolute-form request's, or one set later); null: the capture's. */
  private vhostText: string | undefined | null = null

  constructor(
    readonly text: string,
    readonly from: number,
    readonly to: number,
    readonly clientFrom: number,
    readonly clientTo: number,
    public time: number,
    /** The `/` between backend and server; the counters, captures and request come after their word, in that order. */
    private readonly slash: number,
    public method: string,
    readonly pathFrom: number,
    readonly pathTo: number,
    public proto: string,
    public status: number,
    public bytes: number,
  ) {}

  get client(): string {
    return this.text.slice(this.clientFrom, this.clientTo)
  }

  get path(): string {
    return this.pathText ?? this.text.slice(this.pathFrom, this.pathTo)
  }

  set path(path: string) {
    this.pathText = path
  }

  get vhost(): string | undefined {
    return this.vhostText === null ? captureVhost(this.text, this.serverTo(), this.to) : this.vhostText
  }

  set vhost(vhost: string | undefined) {
    this.vhostText = vhost
  }

  get backend(): string {
    // A backend's name has no space: its word starts after the last one before the slash.
    return backends.get(this.text, this.text.lastIndexOf(' ', this.slash) + 1, this.slash)
  }

  get server(): string | undefined {
    const server = servers.get(this.text, this.slash + 1, this.serverTo())
    return server === '<NOSRV>' ? undefined : server
  }

  get raw(): string {
    return this.text.slice(this.from, this.to)
  }

  get timings(): Timings {
    // Word by word: where the parser's one pass read the counters, this reads the same numbers.
    return (countersByWord(this.text, this.serverTo() + 1, this.to) as {timings: Required<Timings>}).timings
  }

  /** Where the server's name ends (wordEnd's rule, as the parser found it). */
  private serverTo(): number {
    return wordEnd(this.text, this.slash, this.to)
  }

  /** What `--format json` prints: the keys in the order it has always printed them, the time in ISO 8601, no raw line. */
  forJson(): object {
    return {
      time: new Date(this.time).toISOString(),
      proxy: this.proxy,
      client: this.client,
      vhost: this.vhost,
      method: this.method,
      path: this.path,
      proto: this.proto,
      status: this.status,
      bytes: this.bytes,
      backend: this.backend,
      server: this.server,
      timings: this.timings,
    }
  }
}

/**
 * The first request capture, which names the vhost when the config captures
 * Host first (`capture request header Host`): `{` after the counters and
 * before the request's quote, up to the first `|` (the next capture) or the
 * closing brace; with no closing brace, to the line's last character but one.
 * The counters are numbers, `/` and spaces: searching from their start finds
 * what searching from their end would.
 */
function captureVhost(line: string, countersFrom: number, to: number): string | undefined {
  const brace = line.indexOf('{', countersFrom)
  if (brace < 0 || brace >= line.indexOf('"', countersFrom)) return undefined
  let end = brace + 1
  let bar = -1
  for (; end < to; end++) {
    const c = line.charCodeAt(end)
    if (c === 125) break
    if (c === 124 && bar < 0) bar = end
  }
  const vhostEnd = end < to ? (bar >= 0 ? bar : end) : to - 1
  // field()'s rules read in place: `-` or nothing is no vhost.
  if (vhostEnd > brace + 1 && !(vhostEnd === brace + 2 && line.charCodeAt(brace + 1) === 45)) return vhosts.get(line, brace + 1, vhostEnd)
  return undefined
}

/** The request and record, once the fields before them are read. */
function finish(
  line: string,
  from: number,
  to: number,
  clientFrom: number,
  clientTo: number,
  time: number,
  slash: number,
  status: number,
  bytes: number,
  bytesEnd: number,
): AccessRecord | undefined {
  // The request is the quoted tail; between are cookies, flags, counters and the optional {captures}.
  const open = line.indexOf('"', bytesEnd)
  const close = line.lastIndexOf('"', to - 1)
  if (open < 0 || open >= to || close <= open) return undefined
  // The request line read in place (splitRequest's rules, no intermediate string or object).
  let method = '-'
  let pathFrom: number
  let pathTo = close
  let proto = '-'
  const a = line.indexOf(' ', open + 1)
  if (a < 0 || a >= close) pathFrom = open + 1
  else {
    method = methods.get(line, open + 1, a)
    const b = line.lastIndexOf(' ', close)
    pathFrom = a + 1
    if (b !== a) {
      pathTo = b
      proto = protocols.get(line, b + 1, close)
    }
  }
  const record = new HaproxyRecord(line, from, to, clientFrom, clientTo, time, slash, method, pathFrom, pathTo, proto, status, bytes)
  if (method !== '-' && line.charCodeAt(pathFrom) !== 47) {
    const path = line.slice(pathFrom, pathTo)
    if (path.includes('://')) {
      // HTTP/2 and absolute-form requests carry the authority in the URI; a captured Host still comes first.
      const m = /^[a-z]+:\/\/([^/]+)(\/.*)?$/i.exec(path)
      if (m) {
        record.vhost = record.vhost ?? m[1]
        record.path = m[2] ?? '/'
      }
    }
  }
  return record
}
