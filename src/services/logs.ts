/**
 * `hactl logs`: every proxy's access log, read over its transport, parsed by
 * the engine's reader, merged by time into one stream.
 */
import {readFile} from 'node:fs/promises'

import {parseDuration} from '../cluster/duration.js'
import type {Cluster} from '../cluster/loader.js'
import {UsageError} from '../errors.js'
import {lineParser} from '../logs/engines.js'
import {matches, parseStatus, parseWhen, type LogFilter} from '../logs/filter.js'
import {writer, type LogFormat} from '../logs/format.js'
import {decodeLog} from '../logs/decode.js'
import {ReorderWindow} from '../logs/merge.js'
import {LineBuffer} from '../logs/output.js'
import type {AccessRecord, LineParser} from '../logs/record.js'
import {mergeSources, TextSource, Unparsed, WindowedSource} from '../logs/source.js'
import {connections, type ConnectOptions} from '../remote/connect.js'
import type {RolloutTarget} from '../remote/hosts.js'
import {quote} from '../remote/quote.js'
import type {HeldCommand} from '../remote/transport.js'
import {clusterTargets} from './config-sync.js'

export interface LogsOptions extends ConnectOptions {
  since?: string
  until?: string
  follow?: boolean
  proxies?: string[]
  backend?: string
  status?: string
  format: LogFormat
  /** How late a line may arrive (or stand out of place in a file) and still take its place in time order: `2s`. */
  window?: string
  /** Output, in chunks of whole lines; the chunk is valid only during the call (copy it to keep it). */
  write: (chunk: Buffer) => void
  /** Ends --follow. */
  signal?: AbortSignal
}

export interface LogsReport {
  lines: number
  unparsed: number
  /** The first lines that could not be read, for -v. */
  unparsedLines: {proxy: string; line: string}[]
  /** Lines later than the window: printed where they arrived, out of time order. */
  late: number
  /** Proxies whose log could not be read, and why. */
  failed: {proxy: string; path: string; message: string}[]
}

const DEFAULT_WINDOW_MS = 2000

export function logFilter(options: Pick<LogsOptions, 'backend' | 'since' | 'status' | 'until'>, now = Date.now()): LogFilter {
  const when = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined
    const at = parseWhen(text, now)
    if (at === undefined) throw new UsageError(`--${flag} ${text}: not a duration or a time`, {actions: ['Write a duration such as 15m or 2h, or an ISO 8601 time such as 2026-11-28T10:00:00Z.']})
    return at
  }
  const status = options.status === undefined ? undefined : parseStatus(options.status)
  if (options.status !== undefined && !status) throw new UsageError(`--status ${options.status}: not a status`, {actions: ['Write a class such as 5xx, a code such as 404, or a list: 4xx,503.']})
  return {since: when('since', options.since), until: when('until', options.until), backend: options.backend, status}
}

function windowMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WINDOW_MS
  const ms = parseDuration(text)
  if (ms === undefined) throw new UsageError(`--window ${text}: not a duration`, {actions: ['Write it like 500ms or 2s.']})
  return ms
}

/** The reader of this cluster's logs: the engine's, with nginx's log_format taken from the cluster's config source. */
async function parserFor(cluster: Cluster): Promise<LineParser> {
  const {engine, config} = cluster.spec.proxy
  const text = engine === 'nginx' ? await readFile(config, 'utf8').catch(() => undefined) : undefined
  try {
    return lineParser(engine, text)
  } catch (error) {
    throw new UsageError(`${config}: ${(error as Error).message}`, {actions: ['Declare the access_log format in the nginx config with $time_local and $request.']})
  }
}

async function targetsFor(cluster: Cluster, names: string[] | undefined): Promise<RolloutTarget[]> {
  const targets = await clusterTargets(cluster)
  const unknown = (names ?? []).filter((n) => !targets.some((t) => t.name === n))
  if (unknown.length > 0) throw new UsageError(`--proxies names ${unknown.join(', ')}, not a running proxy of this cluster`, {actions: [`Proxies: ${targets.map((t) => t.name).join(', ')}.`]})
  return names && names.length > 0 ? targets.filter((t) => names.includes(t.name)) : targets
}

export async function readLogs(cluster: Cluster, options: LogsOptions): Promise<LogsReport> {
  const filter = logFilter(options)
  windowMs(options.window)
  const parse = await parserFor(cluster)
  const targets = await targetsFor(cluster, options.proxies)
  const print = writer(options.format)
  const report: LogsReport = {lines: 0, unparsed: 0, unparsedLines: [], late: 0, failed: []}
  const out = new LineBuffer(options.write)
  const emit = (r: AccessRecord): void => {
    if (!matches(filter, r)) return
    report.lines++
    print(out, r)
  }
  const unparsed = new Unparsed()
  const open = connections(cluster, options)
  try {
    if (options.follow) await follow(targets, open, parse, unparsed, emit, () => out.flush(), report, options)
    else {
      const texts = await Promise.all(targets.map((t) => readLog(open, t).catch((error: Error) => error)))
      const sources: WindowedSource[] = []
      texts.forEach((text, i) => {
        const t = targets[i]
        if (text instanceof Error || text === undefined) report.failed.push({proxy: t.name, path: t.accessLog ?? '', message: text instanceof Error ? text.message : 'no such file'})
        else sources.push(new WindowedSource(new TextSource(text, parse, t.name, unparsed), windowMs(options.window)))
      })
      mergeSources(sources, emit)
      report.late = sources.reduce((n, s) => n + s.late, 0)
    }
  } finally {
    out.flush()
    await open.close()
  }
  report.unparsed = unparsed.count
  report.unparsedLines = unparsed.lines
  return report
}

/** The log and the one rotated before it (`.1`), oldest first: a --since reaching back before the last rotation still finds its lines. */
async function readLog(open: ReturnType<typeof connections>, target: RolloutTarget): Promise<string | undefined> {
  const transport = await open.connect(target)
  try {
    const path = target.accessLog as string
    const [rotated, current] = await Promise.all([transport.download(`${path}.1`), transport.download(path)])
    if (current === undefined) return undefined
    return rotated ? `${decodeLog(rotated)}\n${decodeLog(current)}` : decodeLog(current)
  } finally {
    await transport.close()
  }
}

/**
 * `tail -F` on every proxy (it follows the name, so a rotated log is picked up
 * again), lines into one reordering window released every 250 ms. The shell
 * wrapper ends tail when hactl closes its stdin, over ssh as well as here.
 */
async function follow(
  targets: RolloutTarget[],
  open: ReturnType<typeof connections>,
  parse: LineParser,
  unparsed: Unparsed,
  emit: (r: AccessRecord) => void,
  flush: () => void,
  report: LogsReport,
  options: LogsOptions,
): Promise<void> {
  const window = new ReorderWindow(windowMs(options.window), emit)
  const start = options.since === undefined ? '0' : '+1'
  const held: HeldCommand[] = []
  const transports = await Promise.all(targets.map((t) => open.connect(t).catch((error: Error) => error)))
  targets.forEach((t, i) => {
    const transport = transports[i]
    if (transport instanceof Error) {
      report.failed.push({proxy: t.name, path: t.accessLog ?? '', message: transport.message})
      return
    }
    let carry = ''
    const script = `tail -n ${start} -F ${quote(t.accessLog as string)} 2>/dev/null & pid=$!; cat >/dev/null; kill "$pid"`
    const command = transport.hold(['sh', '-c', script], {
      stdout: (chunk) => {
        const lines = (carry + chunk.toString('utf8')).split('\n')
        carry = lines.pop() ?? ''
        for (const line of lines) {
          const text = line.endsWith('\r') ? line.slice(0, -1) : line
          if (text === '') continue
          const r = parse(text)
          if (r) {
            r.proxy = t.name
            window.push(r)
          } else unparsed.add(t.name, text)
        }
      },
      stderr: () => undefined,
    })
    held.push(command)
    void command.exited.then((result) => {
      if (!options.signal?.aborted) report.failed.push({proxy: t.name, path: t.accessLog ?? '', message: `tail ended (exit ${result.code})`})
    })
  })
  const timer = setInterval(() => {
    window.release(Date.now())
    flush()
  }, 250)
  try {
    await new Promise<void>((resolve) => {
      if (!options.signal || options.signal.aborted) resolve()
      else options.signal.addEventListener('abort', () => resolve(), {once: true})
    })
  } finally {
    clearInterval(timer)
    await Promise.all(held.map((c) => c.end()))
    window.flush()
    report.late = window.late
    await Promise.all(transports.map((t) => (t instanceof Error ? undefined : t.close())))
  }
}
