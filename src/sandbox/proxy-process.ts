import {spawn, type ChildProcess} from 'node:child_process'
import {openSync, closeSync, readFileSync} from 'node:fs'
import {connect} from 'node:net'

import * as z from 'zod'

import type {InstancePaths} from '../cloud/local/paths.js'
import type {LocalInstance} from '../cloud/local/state.js'
import {describeProcess, identify, judge, pidAlive, recordProcess, type ProcessIdentity} from '../process/identity.js'
import {poll} from '../util/poll.js'

/** Signal a whole process group (haproxy's master and its workers); a group already gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export interface OwnedProcess {
  /** The process hactl started, checked against /proc now; undefined when it is not running. */
  identity?: ProcessIdentity
  /** Pids named by the pid file or the record that are not ours: reported, never signalled. */
  problems: string[]
}

const RECORD = z.looseObject({
  pid: z.number().int().positive(),
  startTime: z.string().optional(),
  cmdline: z.array(z.string()).optional(),
  uid: z.number().optional(),
  pgid: z.number().optional(),
}) satisfies z.ZodType<ProcessIdentity>

/** A record hactl wrote when it started a process; one that is not (cut short, edited) names no process of ours. */
export function readRecord(file: string): ProcessIdentity | undefined {
  try {
    const parsed = RECORD.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/**
 * The process behind a pid file, only if it is the one hactl recorded when
 * it started it (recordFile, see process/identity.ts). A pid file naming
 * another process, or a recorded pid now reused by another, is reported.
 */
export function ownedProcess(pidFile: string, recordFile: string, what: string, legacyMark?: string): OwnedProcess {
  const filePid = readPid(pidFile)
  const record = readRecord(recordFile)
  const problems: string[] = []
  let identity: ProcessIdentity | undefined
  if (!record && filePid !== undefined && legacyMark !== undefined) {
    // A sandbox started by a hactl that kept no records: its process is ours only when its own argv names
    // this sandbox's file (haproxy's -p PIDFILE, the supervisor's cluster file), which no other process does.
    const live = identify(filePid)
    if (live?.cmdline?.includes(legacyMark)) identity = live
  }
  if (record) {
    const verdict = judge(record)
    if (verdict.status === 'ours') identity = record
    else if (verdict.status === 'other' && (filePid === undefined || filePid === record.pid)) {
      problems.push(
        `pid ${describeProcess(verdict.live, record.pid)} is not the ${what} hactl started ` +
          `(started at tick ${verdict.live?.startTime ?? '?'}, hactl's at ${record.startTime ?? '?'}): left alone`,
      )
    }
  }
  if (filePid !== undefined && filePid !== identity?.pid && !problems.some((p) => p.startsWith(`pid ${filePid} `))) {
    const live = identify(filePid)
    if (live) {
      problems.push(
        `${pidFile} names pid ${describeProcess(live, filePid)}, which is not the ${what} hactl started${record ? '' : ' (hactl has no record of starting it)'}: left alone`,
      )
    }
  }
  return {identity, problems}
}

/** Signal a process hactl recorded, its group when it leads one; checked again just before. False when it is no longer ours. */
export function signalOwned(identity: ProcessIdentity, signal: NodeJS.Signals): boolean {
  const verdict = judge(identity)
  if (verdict.status !== 'ours') return false
  try {
    process.kill(verdict.live?.pgid === identity.pid ? -identity.pid : identity.pid, signal)
  } catch {
    // gone between the check and the signal
  }
  return true
}

/** True while the recorded process still runs (a reused pid does not count). */
export function ownedAlive(identity: ProcessIdentity | undefined): boolean {
  return identity !== undefined && judge(identity).status === 'ours'
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export async function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({host, port})
    const timer = setTimeout(() => {
      s.destroy()
      resolve(false)
    }, timeoutMs)
    s.once('connect', () => {
      clearTimeout(timer)
      s.destroy()
      resolve(true)
    })
    s.once('error', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}

/**
 * One proxy instance: a real haproxy in master-worker mode, in its own
 * process group so that a kill -9 takes the whole "node" down at once.
 * SIGUSR2 to the master is the graceful reload rollout uses.
 */
export class ProxyProcess {
  private child?: ChildProcess
  private exited = true

  constructor(
    readonly instance: LocalInstance,
    readonly paths: InstancePaths,
    private readonly port: number,
  ) {}

  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid
  }

  get running(): boolean {
    return !this.exited && pidAlive(this.child?.pid)
  }

  /** Start haproxy and wait until it accepts connections on its private address. */
  async start(timeoutMs = 10_000): Promise<void> {
    const log = openSync(this.paths.log, 'a')
    // haproxy writes its own messages to stderr and, with `log stdout`, one line per request to stdout: the access log.
    const access = openSync(this.paths.access, 'a', 0o640)
    const child = spawn('haproxy', ['-W', '-db', '-f', this.paths.local, '-f', this.paths.config, '-p', this.paths.pid], {
      detached: true,
      stdio: ['ignore', access, log],
      env: {
        ...process.env,
        HACTL_INSTANCE: this.instance.name,
        HACTL_PROXY_ADDRESS: this.instance.address,
        HACTL_PROXY_PORT: String(this.port),
      },
    })
    closeSync(log)
    closeSync(access)
    this.child = child
    this.exited = false
    child.once('exit', () => (this.exited = true))
    child.once('error', () => (this.exited = true))
    const listening = await poll(async () => !this.exited && (await tcpOpen(this.instance.address, this.port, 200)), (open) => open || this.exited, {timeoutMs, delayMs: 20})
    if (this.exited) throw new Error(`haproxy exited at start: ${this.logTail()}`)
    if (listening.value) {
      // haproxy has exec'd and listens: record who it is, so `sandbox kill`/`down` signal only this process.
      if (child.pid) await recordProcess(this.paths.owner, child.pid)
      return
    }
    this.kill('SIGKILL')
    throw new Error(`haproxy did not listen on ${this.instance.address}:${this.port} within ${timeoutMs} ms: ${this.logTail()}`)
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child?.pid && !this.exited) signalGroup(this.child.pid, signal)
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child?.pid || this.exited) return
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    this.kill('SIGTERM')
    const timer = setTimeout(() => this.kill('SIGKILL'), 3000)
    await gone
    clearTimeout(timer)
  }

  private logTail(): string {
    try {
      return readFileSync(this.paths.log, 'utf8').trim().split('\n').slice(-3).join(' | ')
    } catch {
      return 'no log'
    }
  }
}
