/**
 * What the monitor remembers between rounds and between `--once` runs:
 * rise/fall counters, the remap history the budget counts, when each proxy
 * lost an address (hold-down), and its last actions for `hactl status`.
 * Written atomically (temp file + rename), so a crash never leaves half a file.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import * as z from 'zod'

import type {Cluster} from '../cluster/loader.js'
import {issued, type ExecutedAction} from '../failover/executor.js'
import type {Suspicion} from '../failover/suspect.js'
import type {Counter} from '../health/rise-fall.js'
import type {ConvergeState} from './converge.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {parseStateFile} from '../util/state-file.js'
import type {ReplaceState} from './replace-plan.js'

export interface ActionRecord {
  round: string
  at: string
  /** `associate`, `alert`, `dns`. */
  kind: string
  summary: string
  outcome: 'alert' | 'done' | 'failed' | 'planned' | 'resolved'
}

/** An alert that is still true: sent once, again when its text changes, and a last time when it is resolved. */
export interface OpenAlert {
  message: string
  /** What identifies the incident; the message's details may change without a new alert. */
  incident?: string
  /** ms since the epoch. */
  since: number
}

export interface MonitorState {
  version: 1
  counters: Record<string, Counter>
  remaps: {at: number; allocationId: string}[]
  /** Proxy id → when an address was taken off it. */
  lostAt: Record<string, number>
  lastActions: ActionRecord[]
  lastRound?: {id: string; at: string; healthy: number; unhealthy: number; unknown: number}
  /** The pool's public addresses as last published to DNS. */
  published?: string[]
  /** The ttl they were published with: a changed `dns.ttl` is published too. */
  publishedTtl?: number
  /** Open alerts by incident (an allocation id, or `monitor.view`). */
  alerts: Record<string, OpenAlert>
  /** Set while the monitor doubts its own view (it may be cut off from the proxies). */
  suspect?: Suspicion
  /** How the monitor that wrote this runs, so `status` can tell a stopped loop from a cron job between runs. */
  run?: {intervalMs: number; once: boolean}
  /** Certificate name → the UTC day (YYYY-MM-DD) its expiry was last alerted: one alert per certificate per day. */
  certificateAlerts?: Record<string, string>
  /** `failover.replace`: the proxies seen, which look dead since when, and the replacements in flight. */
  replace?: ReplaceState
  /** The converge step's record (./converge.ts): drift as reported, proxies never pushed. */
  converge?: ConvergeState
}

const KEEP_ACTIONS = 50
const HOUR = 3_600_000

export function emptyState(): MonitorState {
  return {version: 1, counters: {}, remaps: [], lostAt: {}, lastActions: [], alerts: {}}
}

/** `failover.stateFile`, or a file next to the cluster file named for the cluster. */
export function stateFilePath(cluster: Cluster): string {
  return cluster.spec.failover.stateFile ?? path.join(cluster.dir, `.hactl-monitor-${cluster.spec.cluster}.json`)
}

export async function readState(file: string): Promise<MonitorState> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
    throw error
  }
  const state = parseStateFile(text, STATE_SCHEMA, file, 'the monitor state file', [
    'Move it aside: the monitor starts afresh (counters and remap history are rebuilt within a few rounds).',
  ])
  return {...emptyState(), ...state}
}

const HEALTH = z.enum(['healthy', 'unhealthy', 'unknown'])

/** What readState accepts: the written shape, with the parts older versions did not write optional. */
const STATE_SCHEMA = z.looseObject({
  version: z.literal(1),
  counters: z.record(z.string(), z.looseObject({health: HEALTH, successes: z.number(), failures: z.number(), since: z.number()})).default({}),
  remaps: z.array(z.looseObject({at: z.number(), allocationId: z.string()})).default([]),
  lostAt: z.record(z.string(), z.number()).default({}),
  lastActions: z
    .array(z.looseObject({round: z.string(), at: z.string(), kind: z.string(), summary: z.string(), outcome: z.enum(['alert', 'done', 'failed', 'planned', 'resolved'])}))
    .default([]),
  lastRound: z.looseObject({id: z.string(), at: z.string(), healthy: z.number(), unhealthy: z.number(), unknown: z.number()}).optional(),
  published: z.array(z.string()).optional(),
  publishedTtl: z.number().optional(),
  alerts: z.record(z.string(), z.looseObject({message: z.string(), incident: z.string().optional(), since: z.number()})).default({}),
  suspect: z.looseObject({kind: z.enum(['all', 'flip']), since: z.number(), proxies: z.array(z.string()), message: z.string()}).optional(),
  run: z.looseObject({intervalMs: z.number(), once: z.boolean()}).optional(),
  certificateAlerts: z.record(z.string(), z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
  replace: z
    .looseObject({
      known: z.record(z.string(), z.looseObject({zone: z.string(), name: z.string().optional(), pair: z.string().optional(), held: z.array(z.string())})),
      deadSince: z.record(z.string(), z.number()),
      inFlight: z.array(
        z.looseObject({
          dead: z.string(),
          deadName: z.string().optional(),
          zone: z.string(),
          pair: z.string().optional(),
          why: z.string(),
          step: z.enum(['launch', 'push', 'rise', 'move', 'terminate']),
          addresses: z.array(z.string()),
          startedAt: z.number(),
          stepSince: z.number(),
          replacement: z.string().optional(),
          replacementName: z.string().optional(),
          attempts: z.number().int(),
          times: z.record(z.string(), z.number()).optional(),
          waiting: z.array(z.string()).optional(),
        }),
      ),
    })
    .optional(),
  converge: z
    .looseObject({
      checkedAt: z.number().optional(),
      seen: z.array(z.string()).default([]),
      drift: z.record(z.string(), z.looseObject({host: z.string(), summary: z.string(), status: z.string(), since: z.number(), digest: z.string()})).default({}),
      failed: z.record(z.string(), z.looseObject({host: z.string(), message: z.string(), since: z.number()})).default({}),
      unpushed: z.array(z.string()).default([]),
    })
    .optional(),
}) satisfies z.ZodType<MonitorState>

export async function writeState(file: string, state: MonitorState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(state, null, 1)}\n`)
}

/**
 * The remap history and hold-down times as the planners take them: the
 * monitor's rounds, `eip failover|rebalance` and `status` share one record.
 */
export function stateHistory(state: MonitorState): {remaps: MonitorState['remaps']; lostAt: Record<string, number>; healthySince: Record<string, number>} {
  const healthySince = Object.fromEntries(
    Object.entries(state.counters)
      .filter(([, c]) => c.health === 'healthy')
      .map(([id, c]) => [id, c.since]),
  )
  return {remaps: state.remaps, lostAt: state.lostAt, healthySince}
}

/**
 * The remap bookkeeping the monitor's rounds, `eip failover|rebalance` and
 * `proxy terminate --force` share: every move issued to the cloud, verified
 * or not, counts against the budget (it is about what was done to the
 * cloud), and starts the hold-down of the proxy it left. Attaching a free
 * address moves nothing off a proxy: not a remap.
 */
export function countRemaps(state: MonitorState, results: readonly ExecutedAction[], at: number): MonitorState {
  const remaps = [...state.remaps]
  const lostAt = {...state.lostAt}
  for (const result of results) {
    if (!issued(result) || result.action.kind !== 'associate' || !result.action.from) continue
    remaps.push({at, allocationId: result.action.allocationId})
    lostAt[result.action.from] = at
  }
  return {...state, remaps, lostAt}
}

/** History older than the budget's hour, and actions beyond the last few, are dropped. */
export function pruneState(state: MonitorState, now: number, holdDownMs: number): MonitorState {
  const lostAt = Object.fromEntries(Object.entries(state.lostAt).filter(([, at]) => now - at < Math.max(holdDownMs, HOUR)))
  return {
    ...state,
    remaps: state.remaps.filter((r) => now - r.at < HOUR),
    lostAt,
    lastActions: state.lastActions.slice(-KEEP_ACTIONS),
  }
}
