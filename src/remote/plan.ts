/**
 * The steps of a rollout on one host, as data: the exact commands the
 * pipeline runs and what --dry-run prints. Pure: no I/O.
 */
import path from 'node:path/posix'

import type {RolloutTarget} from './hosts.js'
import {fillCommand, quoteArgv} from './quote.js'

/** Exit code flock gives when another push holds the lock. */
export const LOCK_BUSY = 75

export interface HostPaths {
  live: string
  /** Upload lands here, next to the live file (same filesystem, so the rename is atomic). */
  temp: string
  /** The previous live file, kept until the next push. */
  backup: string
  lock: string
  /** The SHA-256 of the config the proxy last reloaded with a passing post-check (0600). */
  loaded: string
  /** The output of the step running on the host; kept only while it runs. */
  log: string
}

export interface HostPlan {
  target: RolloutTarget
  paths: HostPaths
  /** Takes the host's lock for the command that follows it (the install script), or exits LOCK_BUSY. */
  lock: string[]
  validate?: string[]
  /** Keep the live file as the backup (a hard link). */
  backup: string[]
  /** Rename the new file over the live one (atomic: same folder). */
  install: string[]
  /** Put the backup back: a second name for it, renamed over the live file, so the swap is atomic and the backup stays. */
  restore: [string[], string[]]
  reload: string[]
  check?: string[]
}

export function hostPaths(remotePath: string): HostPaths {
  const dir = path.dirname(remotePath)
  const base = path.basename(remotePath)
  return {
    live: remotePath,
    temp: path.join(dir, `.${base}.hactl-new`),
    backup: path.join(dir, `${base}.hactl-backup`),
    lock: path.join(dir, `.${base}.hactl-lock`),
    loaded: path.join(dir, `.${base}.hactl-loaded`),
    log: path.join(dir, `.${base}.hactl-log`),
  }
}

const sh = (script: string): string[] => ['sh', '-c', script]

export function planHost(target: RolloutTarget): HostPlan {
  const paths = hostPaths(target.remotePath)
  return {
    target,
    paths,
    // flock holds the lock while the install script runs, and the script holds it too (it inherits the descriptor): it ends when the script does.
    lock: ['flock', '--nonblock', '--conflict-exit-code', String(LOCK_BUSY), paths.lock],
    validate: target.validate ? sh(fillCommand(target.validate, {file: paths.temp})) : undefined,
    backup: ['ln', '-f', '--', paths.live, paths.backup],
    install: ['mv', '-f', '--', paths.temp, paths.live],
    restore: [
      ['ln', '-f', '--', paths.backup, paths.temp],
      ['mv', '-f', '--', paths.temp, paths.live],
    ],
    reload: sh(fillCommand(target.reload, {file: paths.live})),
    check: target.check ? sh(fillCommand(target.check, {file: paths.live})) : undefined,
  }
}

/** The plan in words, one line per step, with the exact commands; what --dry-run prints. */
export function describePlan(plan: HostPlan, certificates?: readonly string[]): string[] {
  const {paths} = plan
  const run = (argv: string[]): string => quoteArgv(argv)
  const dir = path.dirname(paths.live)
  const tls = certificates
    ? [
        `certificates: ${certificates.join(', ') || 'none'} on the input after the source, into ${path.join(dir, '.hactl-tls.ID')} (0700, files 0600, the live file's owner); ${path.join(dir, 'hactl-tls')} switched to it by one rename before validating, switched back on any failure`,
      ]
    : []
  return [
    `lock ${paths.lock} (a second push exits 6 while this one runs)`,
    `send the source with the command (on its input when too big for a command line) to ${paths.temp}, created with the live file's mode (0600 when there is none), then given its owner and group; from here on the host finishes on its own`,
    ...tls,
    `stop here when ${paths.live} already equals the source${certificates ? ', hactl-tls already points at these certificates' : ''} and ${paths.loaded} says the proxy loaded it`,
    plan.validate ? `validate: ${run(plan.validate)}` : 'validate: no validator binary for this engine; skipped',
    `back up: ${run(plan.backup)}`,
    `install: ${run(plan.install)}`,
    `reload: ${run(plan.reload)}`,
    plan.check ? `check: ${run(plan.check)}` : 'check: the reload exit code only',
    `record what is loaded: the source's SHA-256 into ${paths.loaded}`,
    `on failure after install: ${run(plan.restore[0])}; ${run(plan.restore[1])}; reload; check`,
  ]
}
