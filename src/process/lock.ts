/**
 * A lock file whose holder is a process, not an age. The file names its
 * holder (pid, start time, program, host) and appears in one link(2), so it
 * is never seen half-written. A contender that finds it judges the holder by
 * /proc (process/identity.ts): a holder that is gone, or whose pid now names
 * another process, holds nothing, and its lock is taken over at once — a
 * monitor restarted right after a SIGKILL gets the lock on its first try.
 * A live holder is never timed out: it holds the lock until it releases it
 * or dies. A holder on another host cannot be judged and counts as live.
 *
 * Taking over a dead holder's lock happens under a short guard directory,
 * so two contenders that both saw the same dead holder cannot both win.
 */
import {link, mkdir, readFile, rm, rmdir, stat, unlink, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import path from 'node:path'

import {poll} from '../util/poll.js'
import {randomHex} from '../util/random.js'

import {judge, self} from './identity.js'

export interface LockHolder {
  pid: number
  startTime?: string
  program?: string
  host: string
  /** Names this acquisition, so a release never removes a lock taken since by another. */
  token: string
  since: string
}

export interface LockOptions {
  /** How long to keep trying while a live holder has it: 0 (default) tries once; Infinity waits until `signal`. */
  waitMs?: number
  /** Stops the wait: acquireLock then rejects with LockAbortedError. */
  signal?: AbortSignal
  /** First and longest pause between tries. */
  pollMs?: [number, number]
  /** Once, when the first try finds a live holder and a wait begins. */
  onWait?: () => Promise<void> | void
  /** What a live holder past the wait becomes (a BusyError, exit 6, worded for the caller); LockHeldError otherwise. */
  busy?: (error: LockHeldError) => Error
  /** What any other failure to take the lock becomes (a read-only folder, say); as it is otherwise. */
  failed?: (error: unknown) => Error
}

/** A live process holds the lock. `code` is what callers used to test for proper-lockfile's busy error. */
export class LockHeldError extends Error {
  readonly code = 'ELOCKED'
  constructor(
    readonly lockPath: string,
    readonly holder?: LockHolder,
  ) {
    super(`${lockPath} is held by ${holder ? describeHolder(holder) : 'another process'}`)
  }
}

export class LockAbortedError extends Error {
  readonly code = 'ABORT_ERR'
}

export type Release = () => Promise<void>

/** A legacy lock (a directory, from proper-lockfile) or an unreadable one counts as stale after this long untouched. */
const LEGACY_STALE_MS = 10_000
/** A takeover guard left by a contender that died mid-takeover (a few ms of work) is removed after this. */
const GUARD_STALE_MS = 5000

export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<Release> {
  const {busy, failed} = options
  try {
    return await takeLock(lockPath, options)
  } catch (error) {
    if (error instanceof LockHeldError) throw busy ? busy(error) : error
    if (error instanceof LockAbortedError || !failed) throw error
    throw failed(error)
  }
}

async function takeLock(lockPath: string, options: LockOptions): Promise<Release> {
  const {waitMs = 0, signal, onWait} = options
  const [minPoll, maxPoll] = options.pollMs ?? [20, 250]
  await mkdir(path.dirname(lockPath), {recursive: true})
  // A lock its holder just let go, or one a dead holder left, is tried again at once.
  const attempt = async (): Promise<Attempt> => {
    for (;;) {
      const result = await tryLock(lockPath)
      if ('release' in result || !result.stale) return result
    }
  }
  let waiting = false
  const onRetry = async (): Promise<void> => {
    if (waiting) return
    waiting = true
    await onWait?.()
  }
  let result
  try {
    result = await poll(attempt, (a) => 'release' in a, {timeoutMs: waitMs, delayMs: minPoll, maxDelayMs: maxPoll, factor: 1.5, signal, onRetry})
  } catch (error) {
    if (signal?.aborted) throw new LockAbortedError(`stopped while waiting for ${lockPath}`)
    throw error
  }
  if ('release' in result.value) return result.value.release
  throw new LockHeldError(lockPath, result.value.holder)
}

type Attempt = {release: Release} | {holder?: LockHolder; stale: boolean}

async function tryLock(lockPath: string): Promise<Attempt> {
  const me = self()
  const holder: LockHolder = {
    pid: me.pid,
    startTime: me.startTime,
    program: me.cmdline?.[0],
    host: hostname(),
    token: randomHex(8),
    since: new Date().toISOString(),
  }
  const temp = `${lockPath}.${holder.pid}.${holder.token}.tmp`
  await writeFile(temp, `${JSON.stringify(holder)}\n`, {mode: 0o600, flag: 'wx'})
  try {
    await link(temp, lockPath)
    return {release: () => releaseLock(lockPath, holder.token)}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    await unlink(temp).catch(() => undefined)
  }
  const seen = await inspect(lockPath)
  if (seen === undefined) return {stale: true} // released meanwhile: try again at once
  if (!seen.dead) return {holder: seen.holder, stale: false}
  // Freed: try again at once. Not freed: another contender is taking it over; wait like for a live holder.
  return {holder: seen.holder, stale: await takeOver(lockPath, seen.text)}
}

/** The lock as found: its text, its holder and whether that holder is gone. Undefined when there is no lock now. */
async function inspect(lockPath: string): Promise<{dead: boolean; holder?: LockHolder; text: string} | undefined> {
  let info
  try {
    info = await stat(lockPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const old = Date.now() - info.mtimeMs > LEGACY_STALE_MS
  if (info.isDirectory()) return {dead: old, text: `dir:${info.mtimeMs}`}
  let text: string
  try {
    text = await readFile(lockPath, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let holder: LockHolder
  try {
    holder = JSON.parse(text) as LockHolder
    if (!Number.isInteger(holder.pid)) throw new Error('no pid')
  } catch {
    return {dead: old, text}
  }
  if (holder.host !== hostname()) return {dead: false, holder, text}
  const verdict = judge({pid: holder.pid, startTime: holder.startTime, cmdline: holder.program === undefined ? undefined : [holder.program]})
  return {dead: verdict.status !== 'ours', holder, text}
}

/** The live process holding the lock, if any (a lock left by a dead one counts as free). */
export async function liveHolder(lockPath: string): Promise<LockHolder | 'unknown' | undefined> {
  const found = await inspect(lockPath).catch(() => undefined)
  if (!found || found.dead) return undefined
  return found.holder ?? 'unknown'
}

/** Remove a dead holder's lock, if it is still the one judged dead (same text), under the takeover guard. True when removed. */
async function takeOver(lockPath: string, judgedText: string): Promise<boolean> {
  const guard = `${lockPath}.takeover`
  try {
    await mkdir(guard)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const info = await stat(guard).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > GUARD_STALE_MS) await rmdir(guard).catch(() => undefined)
    return false
  }
  try {
    const now = await inspect(lockPath)
    if (now === undefined) return true
    if (!now.dead || now.text !== judgedText) return false
    await rm(lockPath, {recursive: true, force: true})
    return true
  } finally {
    await rmdir(guard).catch(() => undefined)
  }
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  try {
    const holder = JSON.parse(await readFile(lockPath, 'utf8')) as LockHolder
    if (holder.token === token) await unlink(lockPath)
  } catch {
    // already gone, or no longer ours: nothing to release
  }
}

export function describeHolder(holder: LockHolder): string {
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`
  return `pid ${holder.pid}${holder.program ? ` (${path.basename(holder.program)})` : ''}${where} since ${holder.since}`
}

/** Run `fn` holding the lock: the one lock wrapper (what a held lock means is the caller's `busy`). */
export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(lockPath, options)
  try {
    return await fn()
  } finally {
    await release()
  }
}
