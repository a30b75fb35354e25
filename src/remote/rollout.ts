/**
 * The rollout pipeline: per host lock → upload → validate → backup → install
 * → reload → check → record what is loaded, and on any failure after the
 * install: restore, reload, check. Everything after the lock runs on the host
 * as one script (./apply.ts) that finishes on its own if hactl dies. Hosts
 * run in parallel up to `concurrency`; after more than `maxFailures` failures
 * no new host starts; `canary` hosts go first, alone.
 */
import {createHash} from 'node:crypto'

import {ExitCode, HactlError, type ExitCodeValue} from '../errors.js'
import type {Level, Reporter} from '../events.js'
import {mapLimit} from '../util/map-limit.js'
import {applyCommand, parseApplyLine, type ApplyEvent, type ApplyStep} from './apply.js'
import {LOCK_BUSY, planHost, type HostPlan} from './plan.js'
import {quote} from './quote.js'
import type {RolloutTarget} from './hosts.js'
import type {ExecResult, Transport} from './transport.js'

export type HostStatus = 'busy' | 'failed' | 'rejected' | 'skipped' | 'unchanged' | 'unreachable' | 'updated'

export type Step = 'backup' | 'certificates' | 'check' | 'connect' | 'install' | 'lock' | 'read' | 'reload' | 'upload' | 'validate'

export interface HostResult {
  host: string
  status: HostStatus
  /** The step that failed. */
  step?: Step
  message?: string
  /** A failed host whose previous config was put back and reloaded. */
  rolledBack?: boolean
  /** Exit code the host's failure maps to on its own (7 for a refused host key). */
  exitCode?: ExitCodeValue
  /** What the user can do about it. */
  actions?: string[]
  ms: number
}

export interface RolloutOptions {
  targets: readonly RolloutTarget[]
  source: Buffer
  connect: (target: RolloutTarget) => Promise<Transport>
  reporter: Reporter
  concurrency?: number
  maxFailures?: number
  canary?: number
  /** How long a post-check may keep failing before the host is rolled back. */
  checkTimeoutMs?: number
  /** Reload (and check) hosts whose live file already equals the source. */
  forceReload?: boolean
  /** Files beside the config that go with it (the certificates of `hactl-tls/`), by name. */
  files?: readonly BundleFile[]
}

export interface BundleFile {
  name: string
  data: Buffer
}

/**
 * The certificates' argument for the install script: the bundle's id (the
 * SHA-256 of each name, size and bytes in turn, as the script recomputes
 * it), then each name and size. The bytes follow the config on the input.
 */
export function bundleArgument(files: readonly BundleFile[]): string {
  const hash = createHash('sha256')
  for (const f of files) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f.name)) throw new Error(`not a plain file name: ${f.name}`)
    hash.update(`${f.name}\n${f.data.length}\n`).update(f.data)
  }
  return [hash.digest('hex'), ...files.flatMap((f) => [f.name, String(f.data.length)])].join(' ')
}

export interface RolloutResult {
  hosts: HostResult[]
  counts: Record<HostStatus, number>
  exitCode: ExitCodeValue
}

const FAILED: readonly HostStatus[] = ['busy', 'failed', 'rejected', 'unreachable']

export function isFailure(status: HostStatus): boolean {
  return FAILED.includes(status)
}

function output(result: ExecResult): string {
  return (result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`).split('\n').slice(-5).join('\n')
}

export async function rollout(options: RolloutOptions): Promise<RolloutResult> {
  const concurrency = Math.max(1, options.concurrency ?? 10)
  const maxFailures = options.maxFailures ?? 0
  const canary = Math.min(options.canary ?? 0, options.targets.length)
  const results = new Map<string, HostResult>()
  let failures = 0
  options.reporter.emit({level: 'debug', code: 'rollout.plan', message: `rolling out to ${options.targets.map((t) => t.name).join(', ')}`, data: {hosts: options.targets.map((t) => t.name)}})

  const batch = async (targets: readonly RolloutTarget[]): Promise<void> => {
    await mapLimit(targets, concurrency, async (target) => {
      // Past the failure budget no host is started; those left are reported as skipped.
      if (failures > maxFailures) return
      const result = await rolloutHost(planHost(target), options)
      if (isFailure(result.status)) failures++
      results.set(target.name, result)
    })
  }

  await batch(options.targets.slice(0, canary))
  const canaryFailed = failures > 0
  if (!canaryFailed) await batch(options.targets.slice(canary))

  const hosts = options.targets.map(
    (t) => results.get(t.name) ?? {host: t.name, status: 'skipped' as const, message: canaryFailed ? 'not started: a canary host failed' : 'not started: too many failures', ms: 0},
  )
  for (const h of hosts) {
    if (h.status === 'skipped') options.reporter.emit({level: 'warn', code: 'rollout.skipped', subject: h.host, message: h.message ?? 'skipped'})
  }
  return {hosts, counts: countStatuses(hosts), exitCode: rolloutExitCode(hosts)}
}

function countStatuses(hosts: readonly HostResult[]): Record<HostStatus, number> {
  const counts: Record<HostStatus, number> = {busy: 0, failed: 0, rejected: 0, skipped: 0, unchanged: 0, unreachable: 0, updated: 0}
  for (const h of hosts) counts[h.status]++
  return counts
}

/** 0 all good; 3 the validator rejected it and nothing changed; 6 only locks were held; 7 only host keys/auth; else 4. */
export function rolloutExitCode(hosts: readonly HostResult[]): ExitCodeValue {
  const failed = hosts.filter((h) => isFailure(h.status))
  if (failed.length === 0) return ExitCode.ok
  const changed = hosts.some((h) => h.status === 'updated')
  if (!changed && failed.every((h) => h.status === 'rejected')) return ExitCode.rejected
  if (failed.every((h) => h.status === 'busy')) return ExitCode.busy
  if (!changed && failed.every((h) => h.exitCode === ExitCode.cloud)) return ExitCode.cloud
  return ExitCode.partial
}

async function rolloutHost(plan: HostPlan, options: RolloutOptions): Promise<HostResult> {
  const host = plan.target.name
  const started = Date.now()
  // Steps are detail (shown with --verbose, or as a live task list); a host's outcome is one line.
  const say = (step: Step | 'done' | 'rollback', message: string, level: Level = 'debug'): void =>
    options.reporter.emit({level, code: `rollout.${step}`, subject: host, message, data: {step}})
  const finish = (result: Omit<HostResult, 'host' | 'ms'>): HostResult => {
    const done = {host, ...result, ms: Date.now() - started}
    say('done', result.status + (result.message ? `: ${result.message}` : ''), isFailure(result.status) ? 'error' : 'info')
    return done
  }

  say('connect', plan.target.transport === 'ssh' ? `connecting to ${plan.target.address}` : 'local host')
  let transport: Transport
  try {
    transport = await options.connect(plan.target)
  } catch (error) {
    const known = error instanceof HactlError ? error : undefined
    return finish({status: 'unreachable', step: 'connect', message: messageOf(error), exitCode: known?.exitCode, actions: known?.actions})
  }
  try {
    return finish(await installOn(transport, plan, options, say))
  } finally {
    await transport.close().catch(() => undefined)
  }
}

type Say = (step: Step | 'rollback', message: string, level?: Level) => void

/**
 * A test harness hook: `HACTL_TEST_KILL_AFTER=POINT` makes this process
 * SIGKILL itself at that point of a host's rollout (`send`: the command and
 * the config are written; `lock`: the host's lock is held; `upload` or a
 * step's name: the host reported that step done), so tests can cut a push
 * at every step without timing.
 */
function killPoint(point: string): void {
  if (process.env.HACTL_TEST_KILL_AFTER === point) process.kill(process.pid, 'SIGKILL')
}

const BUSY_ACTIONS = ['Another push holds the lock on this host; run the push again once it has ended (a push killed half-way still finishes or rolls back on the host within its check timeout).']

async function installOn(t: Transport, plan: HostPlan, options: RolloutOptions, say: Say): Promise<Omit<HostResult, 'host' | 'ms'>> {
  const {paths} = plan
  const checkTimeoutMs = options.checkTimeoutMs ?? 10_000
  say('lock', `locking ${paths.lock}`)
  const events: ApplyEvent[] = []
  let locked = false
  let step: Step = 'upload'
  const onLine = (line: string): void => {
    if (line === 'locked') {
      locked = true
      killPoint('lock')
      return
    }
    const event = parseApplyLine(line)
    if (!event) return
    events.push(event)
    if (event.kind === 'step') {
      step = event.step
      if (event.code === 0) {
        say(event.step, STEP_DONE[event.step](plan))
        if (event.step === 'upload' && !plan.validate) say('validate', 'no validator for this engine; skipped', 'info')
      }
      killPoint(event.step)
    } else if (event.kind === 'rollback') {
      say('rollback', `${step} failed; the previous config was ${event.code === 0 ? 'put back and reloaded' : 'not restored'}`, 'warn')
    }
  }
  say('upload', `sending ${options.source.length} bytes to ${paths.temp}`)
  const sha256 = createHash('sha256').update(options.source).digest('hex')
  const inline = fitsInline(options.source)
  const tls = options.files ? bundleArgument(options.files) : undefined
  const argv = [...plan.lock, ...applyCommand(plan, {size: options.source.length, sha256, force: Boolean(options.forceReload), checkTimeoutMs, inline: inline ? options.source.toString('utf8') : undefined, tls})]
  const held = t.hold(argv, {stdout: lines(onLine), stderr: () => undefined})
  // A small config travels inside the command itself: no round trip of its own. A big one follows on the command's input.
  if (!inline) held.write(options.source)
  // Keys never go on a command line (other users can read those): always on the input, after the config.
  for (const f of options.files ?? []) held.write(f.data)
  // The script ends on its own; its input stays open until then, as closing it early can cut the exit status off an SSH session.
  const ended = held.exited
  killPoint('send')
  const timeoutMs = t.commandTimeoutMs === undefined ? undefined : t.commandTimeoutMs + checkTimeoutMs * 2
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<undefined>((resolve) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => resolve(undefined), timeoutMs)
  })
  const result = await Promise.race([ended, timedOut])
  clearTimeout(timer)
  void held.end().catch(() => undefined)
  const onItsOwn = 'the host finishes the change or rolls it back on its own: run config diff to see which'
  if (!result) return {status: 'failed', step, message: `no answer from the host after ${timeoutMs} ms; ${onItsOwn}`}
  if (!locked) {
    if (result.code === LOCK_BUSY) return {status: 'busy', step: 'lock', message: 'another push holds the lock on this host', exitCode: ExitCode.busy, actions: BUSY_ACTIONS}
    // The lock and the config were on their way together: a lost connection cut the upload, nothing was installed.
    if (result.lost) return {status: 'failed', step: 'upload', message: `${output(result)} before the host had the config; nothing changed`}
    return {status: 'failed', step: 'lock', message: `cannot lock: ${output(result)}`}
  }
  if (result.lost) return {status: 'failed', step, message: events.length > 0 ? `${output(result)}; ${onItsOwn}` : `${output(result)} before the host had the config; nothing changed`}
  return outcome(result, events)
}

/** The login shell gets the whole command as one argument, and Linux takes at most 128 KiB in one. */
const INLINE_MAX = 96 * 1024

/** The config fits in the command line, quoted, and survives it byte for byte (UTF-8, no NUL). */
function fitsInline(source: Buffer): boolean {
  if (source.length > INLINE_MAX || source.includes(0)) return false
  const text = source.toString('utf8')
  return Buffer.from(text, 'utf8').equals(source) && quote(text).length <= INLINE_MAX
}

/** Cut a stream into whole lines. */
function lines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = ''
  return (chunk) => {
    const text = rest + chunk.toString('utf8')
    const parts = text.split('\n')
    rest = parts.pop() ?? ''
    for (const line of parts) onLine(line)
  }
}

const STEP_DONE: Record<ApplyStep, (plan: HostPlan) => string> = {
  upload: (plan) => `received ${plan.paths.temp}`,
  certificates: () => 'switched hactl-tls to the new certificates',
  validate: (plan) => `validated ${plan.paths.temp}`,
  backup: (plan) => `kept the live file as ${plan.paths.backup}`,
  install: (plan) => `installed ${plan.paths.live}`,
  reload: () => 'reloaded',
  check: () => 'the proxy passed its check',
}

/** The host's result from the install script's progress lines and output. */
function outcome(result: ExecResult, events: readonly ApplyEvent[]): Omit<HostResult, 'host' | 'ms'> {
  if (events.some((e) => e.kind === 'unchanged')) return {status: 'unchanged'}
  const [stepOutput, rollbackOutput = ''] = result.stderr.split('hactl-rollback\n')
  const text = (s: string, fallback: string): string => s.trim().split('\n').slice(-5).join('\n') || fallback
  const failed = events.find((e): e is Extract<ApplyEvent, {kind: 'step'}> => e.kind === 'step' && e.code !== 0)
  if (!failed) {
    if (result.code === 0 && events.some((e) => e.kind === 'step' && e.step === 'install')) return {status: 'updated'}
    return {status: 'failed', step: 'upload', message: `the install on the host did not finish: ${output(result)}`}
  }
  const message = text(stepOutput, failed.detail ?? `exit code ${failed.code}`)
  if (failed.step === 'validate') return {status: 'rejected', step: 'validate', message}
  if (failed.step !== 'reload' && failed.step !== 'check') return {status: 'failed', step: failed.step, message}
  const said = failed.step === 'check' ? `post-check failed: ${message}` : message
  const rollback = events.find((e): e is Extract<ApplyEvent, {kind: 'rollback'}> => e.kind === 'rollback')
  if (rollback?.code === 0) return {status: 'failed', step: failed.step, message: said, rolledBack: true}
  const why = rollback?.code === 'none' ? 'there was no previous config to restore' : `the previous config was put back but its reload or check failed${rollbackOutput.trim() ? `: ${text(rollbackOutput, '')}` : ''}`
  return {status: 'failed', step: failed.step, message: `${said}; ROLLBACK INCOMPLETE: ${why}`, rolledBack: false}
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
