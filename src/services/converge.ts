/**
 * Converge: each proxy's live config compared with the source (the
 * comparison `config diff` makes) and the source pushed (the rollout
 * `config push` runs: validate, install, reload, check, roll back) to the
 * proxies that need it. `proxy launch` and the monitor use it, and so does
 * anything that is about to send traffic to a new proxy (pushBeforeTraffic).
 *
 * Which proxies were never pushed: a proxy with no rollout record whose live
 * file is not the source. Every rollout leaves that record on the host
 * (`.<file>.hactl-loaded`, the SHA-256 of the config the proxy last loaded),
 * and nothing else writes it. It is kept on the host rather than in hactl's
 * own state because a proxy can appear without any hactl on this machine
 * knowing (an auto scaling group's replacement, a launch from another
 * laptop, a second monitor): the host itself is the one place every hactl
 * reads alike, and the record goes away with the instance. The diff alone
 * would not do: it cannot tell a new instance (the engine's package config,
 * from user-data) from a proxy someone edited by hand, which `converge: new`
 * must report and leave alone. A host that has the source's bytes without a
 * record (installed some other way) serves the source: it counts as pushed.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {Cluster} from '../cluster/loader.js'
import type {ProxyInstance} from '../cloud/provider.js'
import {ExitCode, type ExitCodeValue} from '../errors.js'
import type {Reporter} from '../events.js'
import {connections, type ConnectOptions, type Connections} from '../remote/connect.js'
import {rolloutTargets, type RolloutTarget} from '../remote/hosts.js'
import {isFailure, type HostResult} from '../remote/rollout.js'
import {mapLimit} from '../util/map-limit.js'
import {poll} from '../util/poll.js'
import {diffHost, readBundle, readSource, rolloutTo, type DiffStatus, type HostDiffState} from './config-sync.js'

/** `new`: push only to proxies never pushed; `all`: push drift back too. Drift is reported either way. */
export type ConvergeMode = 'all' | 'new'

/** in-sync: nothing to do; pushed: the source is on it now; drift: it differs and was left (converge new); failed: unreachable, or the push failed. */
export type ConvergeOutcome = 'drift' | 'failed' | 'in-sync' | 'pushed'

export interface ConvergeHost {
  /** The instance id. */
  id: string
  /** The name rollout and `config diff` use. */
  host: string
  outcome: ConvergeOutcome
  /** What `config diff` said before anything was pushed. */
  status: DiffStatus
  /** Before this run, the proxy had never been pushed (see the top of this file). Unknown (false) when unreachable. */
  neverPushed: boolean
  /** One line on the difference: `+3 -1 lines`, `no config file`, … ('' when in sync). */
  summary: string
  /** The unified diff (live → source) as `config diff` prints it. */
  diff: string
  message?: string
  /** The host's rollout, when one ran. */
  rollout?: HostResult
}

export interface ConvergeReport {
  mode: ConvergeMode
  hosts: ConvergeHost[]
  counts: Record<ConvergeOutcome, number>
  /** 0 every proxy in sync or pushed (drift left by `new` included); 4 some failed; 3/6/7 as a push that reached none. */
  exitCode: ExitCodeValue
}

export interface ConvergeOptions extends ConnectOptions {
  mode: ConvergeMode
  reporter: Reporter
  /** Hosts compared (and pushed) at once. */
  concurrency?: number
  /** Keep asking a host that does not answer for this long (a new instance's sshd is not up at first). */
  waitReachableMs?: number
  /** Compare only: what would be pushed stays `drift`, with a message saying so. */
  dryRun?: boolean
}

/** What converge does with one host, from what `config diff` saw and whether a rollout ever ran there. Pure. */
export function convergeDecision(status: DiffStatus, recorded: boolean, mode: ConvergeMode): {neverPushed: boolean; push: boolean} {
  if (status === 'in-sync' || status === 'unreachable') return {neverPushed: false, push: false}
  // not-loaded: the file is the source but the proxy runs another config: only a rollout leaves that, so it was pushed.
  const neverPushed = !recorded && (status === 'drift' || status === 'missing')
  return {neverPushed, push: neverPushed || mode === 'all'}
}

/** A short account of a unified diff: `+2 -1 lines`. Pure. */
export function diffSummary(status: DiffStatus, diff: string): string {
  if (status === 'in-sync') return ''
  if (status === 'unreachable') return 'not reachable'
  if (status === 'missing') return 'no config file'
  if (status === 'not-loaded') return 'the file is the source, the proxy runs another config'
  let added = 0
  let removed = 0
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue
    if (line.startsWith('+')) added++
    else if (line.startsWith('-')) removed++
  }
  return `+${added} -${removed} lines`
}

/** Running proxies as rollout targets, each with its instance id. */
function targetsOf(cluster: Cluster, proxies: readonly ProxyInstance[]): {id: string; target: RolloutTarget}[] {
  return proxies.flatMap((p) => rolloutTargets(cluster, [p]).map((target) => ({id: p.id, target})))
}

async function diffUntilReachable(open: Connections, target: RolloutTarget, source: Buffer, waitMs: number): Promise<HostDiffState> {
  if (waitMs <= 0) return diffHost(open, target, source)
  const {value} = await poll(
    () => diffHost(open, target, source),
    (state) => state.diff.status !== 'unreachable',
    {timeoutMs: waitMs, delayMs: 1000, maxDelayMs: 10_000},
  )
  return value
}

/**
 * Compare the given proxies with the source and push to those that need it
 * (mode), in one rollout. Proxies that are not running are left out.
 */
export async function convergeProxies(cluster: Cluster, proxies: readonly ProxyInstance[], options: ConvergeOptions): Promise<ConvergeReport> {
  const source = await readSource(cluster)
  const files = await readBundle(cluster)
  const concurrency = options.concurrency ?? 10
  const open = connections(cluster, options)
  try {
    const entries = targetsOf(cluster, proxies)
    const seen = await mapLimit(entries, concurrency, async ({id, target}) => {
      const state = await diffUntilReachable(open, target, source, options.waitReachableMs ?? 0)
      const {diff} = state
      const decision = convergeDecision(diff.status, state.recorded, options.mode)
      const host: ConvergeHost = {
        id,
        host: target.name,
        outcome: diff.status === 'in-sync' ? 'in-sync' : diff.status === 'unreachable' ? 'failed' : 'drift',
        status: diff.status,
        neverPushed: decision.neverPushed,
        summary: diffSummary(diff.status, diff.diff),
        diff: diff.diff,
        ...(diff.message ? {message: diff.message} : {}),
      }
      return {host, target, push: decision.push}
    })
    const due = seen.filter((s) => s.push)
    if (options.dryRun) for (const s of due) s.host.message = 'dry run: would push the source'
    if (due.length > 0 && !options.dryRun) {
      for (const s of due) {
        options.reporter.emit({level: 'info', code: 'converge.push', subject: s.host.host, message: `pushing the source (${s.host.neverPushed ? 'never pushed' : 'drift'}: ${s.host.summary})`})
      }
      const result = await rolloutTo(cluster, open, due.map((s) => s.target), {reporter: options.reporter, concurrency, source, files})
      for (const s of due) {
        const r = result.hosts.find((h) => h.host === s.target.name)
        if (!r) continue
        s.host.rollout = r
        s.host.outcome = isFailure(r.status) || r.status === 'skipped' ? 'failed' : 'pushed'
        if (s.host.outcome === 'failed') s.host.message = `push ${r.status}${r.message ? `: ${r.message}` : ''}`
      }
    }
    const hosts = seen.map((s) => s.host)
    for (const h of hosts) {
      if (h.outcome === 'drift') options.reporter.emit({level: 'warn', code: 'converge.drift', subject: h.host, message: `live config differs from the source (${h.summary}); left as it is (proxy.converge: new)`})
      if (h.outcome === 'failed') options.reporter.emit({level: 'error', code: 'converge.failed', subject: h.host, message: h.message ?? h.summary})
    }
    return {mode: options.mode, hosts, counts: countOutcomes(hosts), exitCode: convergeExitCode(hosts)}
  } finally {
    await open.close()
  }
}

function countOutcomes(hosts: readonly ConvergeHost[]): Record<ConvergeOutcome, number> {
  const counts: Record<ConvergeOutcome, number> = {drift: 0, failed: 0, 'in-sync': 0, pushed: 0}
  for (const h of hosts) counts[h.outcome]++
  return counts
}

function convergeExitCode(hosts: readonly ConvergeHost[]): ExitCodeValue {
  const failed = hosts.filter((h) => h.outcome === 'failed')
  if (failed.length === 0) return ExitCode.ok
  const codes = new Set(failed.map((h) => h.rollout?.exitCode ?? (h.rollout?.status === 'rejected' ? ExitCode.rejected : h.rollout?.status === 'busy' ? ExitCode.busy : ExitCode.partial)))
  return codes.size === 1 && !hosts.some((h) => h.outcome === 'pushed') ? [...codes][0] : ExitCode.partial
}

/** How long pushBeforeTraffic waits for another push to the same proxy to finish. */
const BUSY_WAIT_MS = 60_000

export interface BeforeTrafficReport extends ConvergeReport {
  /** Ids of the proxies that serve the source now and may receive traffic. */
  ready: string[]
  /** Ids of those that do not: keep traffic away from them. */
  notReady: string[]
}

/**
 * Before a new proxy receives traffic (an address moved to it, a target group
 * registration): push the source to it, waiting for it to answer first.
 * Whatever differs on it is pushed (a proxy about to serve must serve the
 * source). Call it with the proxies about to be added; register only `ready`.
 */
export async function pushBeforeTraffic(
  cluster: Cluster,
  proxies: readonly ProxyInstance[],
  options: ConnectOptions & {reporter: Reporter; waitReachableMs?: number; concurrency?: number},
): Promise<BeforeTrafficReport> {
  const converge = (some: readonly ProxyInstance[]): Promise<ConvergeReport> =>
    convergeProxies(cluster, some, {...options, mode: 'all', waitReachableMs: options.waitReachableMs ?? 300_000})
  let report = await converge(proxies)
  // Busy: another push holds the host's lock (the monitor found the new proxy too). Compare again once it is done.
  const deadline = Date.now() + BUSY_WAIT_MS
  for (;;) {
    const busy = report.hosts.filter((h) => h.rollout?.status === 'busy')
    if (busy.length === 0 || Date.now() >= deadline) break
    await sleep(500)
    const again = await converge(proxies.filter((p) => busy.some((h) => h.id === p.id)))
    const hosts = report.hosts.map((h) => again.hosts.find((a) => a.id === h.id) ?? h)
    report = {...report, hosts, counts: countOutcomes(hosts), exitCode: convergeExitCode(hosts)}
  }
  const ready = report.hosts.filter((h) => h.outcome === 'in-sync' || h.outcome === 'pushed').map((h) => h.id)
  return {...report, ready, notReady: proxies.map((p) => p.id).filter((id) => !ready.includes(id))}
}
