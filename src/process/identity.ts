/**
 * Who a pid is. A pid alone names whatever process has it now: after the
 * one hactl started died, the number may be reused, and a pid file may be
 * written by anyone who can write its folder. A process is ours only when
 * its start time (field 22 of /proc/PID/stat, in clock ticks since boot) is
 * the one recorded when it was started: the kernel fixes it for the life of
 * the process, and a pid cannot be reused within one tick, so pid + start
 * time names one process per boot. The command line is recorded too, to
 * say in messages what a pid is, but not compared: it is not a stable
 * identity (haproxy's master re-executes itself on a reload; a record taken
 * between fork and exec would show the parent's).
 */
import {readFileSync, statSync} from 'node:fs'

import {writeFileAtomic} from '../util/atomic-write.js'

export interface ProcessIdentity {
  pid: number
  /** Start time in clock ticks since boot; undefined where /proc is missing. */
  startTime?: string
  /** argv as the kernel reports it. */
  cmdline?: string[]
  /** Owner's uid. */
  uid?: number
  /** Process group id (the leader's pid for a detached child). */
  pgid?: number
}

/** What /proc says about pid now, or undefined when no such process runs (or it is a zombie). */
export function identify(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || hasProc()) return undefined
    return pidAlive(pid) ? {pid} : undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': the fields after it follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined
  let cmdline: string[] | undefined
  let uid: number | undefined
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1)
    uid = statSync(`/proc/${pid}`).uid
  } catch {
    return undefined
  }
  return {pid, startTime: fields[19], pgid: Number(fields[2]), cmdline, uid}
}

/** This process, as another hactl would see it. */
export function self(): ProcessIdentity {
  return identify(process.pid) ?? {pid: process.pid}
}

let procPresent: boolean | undefined
function hasProc(): boolean {
  if (procPresent === undefined) {
    try {
      statSync('/proc/self/stat')
      procPresent = true
    } catch {
      procPresent = false
    }
  }
  return procPresent
}

/** True when a process with this pid exists (a signal 0 reaches it, or is refused for lack of permission). */
export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The verdict on a recorded process: `ours` when the process running under
 * that pid now is the one recorded (same start time); `gone` when nothing
 * runs under it (or only its zombie); `other` when the pid now names
 * another process.
 */
export function judge(recorded: ProcessIdentity): {status: 'gone' | 'other' | 'ours'; live?: ProcessIdentity} {
  const live = identify(recorded.pid)
  if (!live) return {status: 'gone'}
  return {status: live.startTime === recorded.startTime ? 'ours' : 'other', live}
}

/** Record what hactl started, written with mode 0600 from the first byte and renamed into place. */
export async function recordProcess(file: string, pid: number): Promise<ProcessIdentity | undefined> {
  const identity = identify(pid)
  if (!identity) return undefined
  await writeFileAtomic(file, `${JSON.stringify(identity)}\n`, {mode: 0o600})
  return identity
}

/** A short description of a process for messages: `1234 (sleep 600)`. */
export function describeProcess(identity: ProcessIdentity | undefined, pid: number): string {
  const command = identity?.cmdline?.join(' ')
  return command ? `${pid} (${command.length > 60 ? `${command.slice(0, 57)}...` : command})` : String(pid)
}
