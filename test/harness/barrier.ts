import {existsSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl, type CliResult} from './cli.js'
import {waitFor} from './wait.js'

/**
 * Race hactl commands in an order the test picks, through the barrier points
 * the CLI marks when HACTL_TEST_BARRIER is set (src/failover/barrier.ts): each
 * command holds at its `hold` points until told to go on, and the driver lets
 * one held command move at a time, chosen by `choose`. A command waiting for
 * the moves lock counts as settled, so a lock that serialises the two shows
 * up as fewer choices, never as a hang.
 */
export interface Racer {
  label: string
  args: string[]
  hold: string[]
}

export interface RaceResult {
  results: CliResult[]
  /** The order in which held points were let go, e.g. `publish:dns.publish.read`. */
  schedule: string[]
}

type Phase = {kind: 'exited'} | {kind: 'held'; point: string} | {kind: 'running'} | {kind: 'waiting'}

export async function race(racers: Racer[], options: {cwd: string; env: Record<string, string>; choose: (n: number) => number; timeoutMs?: number}): Promise<RaceResult> {
  const dirs = await Promise.all(racers.map(() => mkdtemp(path.join(tmpdir(), 'hactl-barrier-'))))
  const results: (CliResult | undefined)[] = racers.map(() => undefined)
  const released = racers.map(() => new Set<string>())
  const runs = racers.map((r, i) =>
    hactl(r.args, {cwd: options.cwd, env: {...options.env, HACTL_TEST_BARRIER: dirs[i], HACTL_TEST_BARRIER_HOLD: r.hold.join(',')}}).then((result) => {
      results[i] = result
    }),
  )
  const phase = (i: number): Phase => {
    if (results[i]) return {kind: 'exited'}
    const reached = (point: string): boolean => existsSync(path.join(dirs[i], `${point}.reached`))
    const point = racers[i].hold.find((p) => reached(p) && !released[i].has(p))
    if (point) return {kind: 'held', point}
    if (reached('moves-lock.wait') && !reached('moves-lock.acquired')) return {kind: 'waiting'}
    return {kind: 'running'}
  }
  const schedule: string[] = []
  try {
    for (;;) {
      const phases = await waitFor(
        `the racers to settle (${schedule.join(' → ') || 'start'})`,
        () => {
          const now = racers.map((_, i) => phase(i))
          // A waiter with nobody held is about to get the lock its holder just let go: not settled yet.
          const settled = now.every((p) => p.kind !== 'running') && (now.some((p) => p.kind === 'held') || now.every((p) => p.kind === 'exited'))
          return settled ? now : undefined
        },
        options.timeoutMs ?? 60_000,
        10,
      )
      const held = phases.flatMap((p, i) => (p.kind === 'held' ? [{i, point: p.point}] : []))
      if (held.length === 0) break
      const pick = held[options.choose(held.length) % held.length]
      released[pick.i].add(pick.point)
      schedule.push(`${racers[pick.i].label}:${pick.point}`)
      await writeFile(path.join(dirs[pick.i], `${pick.point}.go`), '')
    }
    await Promise.all(runs)
  } finally {
    // Never leave a held command behind: let every point go.
    await Promise.all(racers.flatMap((r, i) => r.hold.map((p) => writeFile(path.join(dirs[i], `${p}.go`), '').catch(() => undefined))))
    await Promise.all(runs)
    await Promise.all(dirs.map((d) => rm(d, {recursive: true, force: true})))
  }
  return {results: results as CliResult[], schedule}
}

/** A small seeded generator, so a failing schedule can be replayed. */
export function seeded(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1
  return (n) => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0
    return (s >>> 16) % n
  }
}
