/**
 * The rollout pipeline: per host lock → upload → validate → backup → install
 * → reload → check, and on any failure after the install: restore, reload,
 * check. Hosts run in parallel up to `concurrency`; after more than
 * `maxFailures` failures no new host starts; `canary` hosts go first, alone.
 */
import {ExitCode, HactlError, type ExitCodeValue} from '../errors.js'
import type {Level, Reporter} from '../ui/reporter.js'
import {LOCK_BUSY, planHost, type HostPlan} from './plan.js'
import type {RolloutTarget} from './hosts.js'
import {Runner} from './runner.js'
import type {ExecResult, FileAttributes, Transport} from './transport.js'

export type HostStatus = 'busy' | 'failed' | 'rejected' | 'skipped' | 'unchanged' | 'unreachable' | 'updated'

export type Step = 'backup' | 'check' | 'connect' | 'install' | 'lock' | 'read' | 'reload' | 'upload' | 'validate'

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

class StepFailure extends Error {
  constructor(
    readonly step: Step,
    message: string,
    readonly status: HostStatus = 'failed',
  ) {
    super(message)
  }
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
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < targets.length && failures <= maxFailures) {
        const target = targets[next++]
        const result = await rolloutHost(planHost(target), options)
        if (isFailure(result.status)) failures++
        results.set(target.name, result)
      }
    }
    await Promise.all(Array.from({length: Math.min(concurrency, targets.length)}, worker))
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

async function installOn(t: Transport, plan: HostPlan, options: RolloutOptions, say: Say): Promise<Omit<HostResult, 'host' | 'ms'>> {
  const {paths} = plan
  const checkTimeoutMs = options.checkTimeoutMs ?? 10_000
  say('lock', `locking ${paths.lock}`)
  // The shell that holds the lock runs every command too: no login shell per command, one round trip per chain.
  const lock = new Runner(t, plan.lock)
  try {
    await lock.ready
  } catch (error) {
    const result = (error as {result?: ExecResult}).result
    if (result?.code === LOCK_BUSY) return {status: 'busy', step: 'lock', message: 'another push holds the lock on this host', exitCode: ExitCode.busy}
    return {status: 'failed', step: 'lock', message: result ? `cannot lock: ${output(result)}` : messageOf(error)}
  }

  let installed = false
  let step: Step = 'read'
  try {
    // Independent reads (and clearing a stale temp file) go out together.
    const [live, attributes] = await Promise.all([t.download(paths.live), t.stat(paths.live), t.remove(paths.temp)])
    if (live?.equals(options.source)) return {status: 'unchanged'}
    step = 'upload'
    say('upload', `uploading ${options.source.length} bytes to ${paths.temp}`)
    await t.upload(paths.temp, options.source)
    if (attributes) await copyAttributes(t, paths.temp, attributes)
    if (!plan.validate) say('validate', 'no validator for this engine; skipped', 'info')
    // Validate, back up, install, reload, check: sent at once, each run only if the one before succeeded.
    const steps = installSteps(plan, Boolean(live))
    const results = lock.chain(steps.map((s) => s.argv))
    for (const [i, s] of steps.entries()) {
      step = s.step
      say(s.step, s.says)
      const result = await results[i]
      if (!result) throw new StepFailure(s.step, 'not run: an earlier step failed')
      if (s.step === 'check' && result.code !== 0) {
        await checkUntilUp(lock, plan, checkTimeoutMs, result)
      } else if (result.code !== 0) {
        throw new StepFailure(s.step, output(result), s.step === 'validate' ? 'rejected' : 'failed')
      }
      if (s.step === 'install') installed = true
    }
    return {status: 'updated'}
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(step, messageOf(error))
    if (!installed) {
      await t.remove(paths.temp).catch(() => undefined)
      return {status: failure.status, step: failure.step, message: failure.message}
    }
    say('rollback', `${failure.step} failed; restoring the previous config`, 'warn')
    const restored = await rollBack(lock, plan, checkTimeoutMs, Boolean(await t.download(paths.backup).catch(() => undefined)))
    return {status: 'failed', step: failure.step, message: restored ? failure.message : `${failure.message}; ROLLBACK INCOMPLETE: ${restored === undefined ? 'there was no previous config to restore' : 'the previous config was put back but its reload or check failed'}`, rolledBack: Boolean(restored)}
  } finally {
    await lock.end().catch(() => undefined)
  }
}

interface ChainStep {
  step: Step
  says: string
  argv: string[]
}

/** The steps after the upload, as commands for the host's runner; those a host does without are left out. */
function installSteps(plan: HostPlan, hasLive: boolean): ChainStep[] {
  const {paths} = plan
  const steps: (ChainStep | undefined)[] = [
    plan.validate ? {step: 'validate', says: `validating ${paths.temp}`, argv: plan.validate} : undefined,
    hasLive ? {step: 'backup', says: `keeping the live file as ${paths.backup}`, argv: plan.backup} : undefined,
    {step: 'install', says: `installing ${paths.live}`, argv: plan.install},
    {step: 'reload', says: 'reloading', argv: plan.reload},
    plan.check ? {step: 'check', says: 'checking the proxy', argv: plan.check} : undefined,
  ]
  return steps.filter((s): s is ChainStep => s !== undefined)
}

/** The new file gets the live file's owner and mode (a config may hold secrets: 0640 root:haproxy). */
async function copyAttributes(t: Transport, to: string, attributes: FileAttributes): Promise<void> {
  // Only root may give a file away; otherwise keep our ownership and copy the mode alone.
  await t.setAttributes(to, attributes).catch(() => t.setAttributes(to, {mode: attributes.mode}))
}

/** Retry the post-check with backoff until it passes or `timeoutMs` is spent; `first` is a failed attempt already made. */
async function checkUntilUp(runner: Runner, plan: HostPlan, timeoutMs: number, first?: ExecResult): Promise<void> {
  if (!plan.check) return
  const deadline = Date.now() + timeoutMs
  let result = first
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    if (result) {
      if (result.code === 0) return
      if (Date.now() + wait > deadline) throw new StepFailure('check', `post-check failed: ${output(result)}`)
      await new Promise((r) => setTimeout(r, wait))
    }
    result = await runner.run(plan.check)
  }
}

/** Put the backup back, reload, check. true: restored and up; false: tried and failed; undefined: no backup. */
async function rollBack(runner: Runner, plan: HostPlan, checkTimeoutMs: number, haveBackup: boolean): Promise<boolean | undefined> {
  if (!haveBackup) return undefined
  try {
    // A second name for the backup, renamed over the live file: the swap stays atomic and the backup stays.
    const [linked, renamed, reloaded] = runner.chain([plan.restore[0], plan.restore[1], plan.reload])
    if ((await linked)?.code !== 0 || (await renamed)?.code !== 0 || (await reloaded)?.code !== 0) return false
    await checkUntilUp(runner, plan, checkTimeoutMs)
    return true
  } catch {
    return false
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
