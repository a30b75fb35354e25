/**
 * The monitor on topology nlb: no addresses to move (the balancer checks its
 * targets and the scaling group replaces the dead), so each round does the
 * one thing left to hactl: the proxies the group launched and its launch
 * hook holds get the source config, then join the balancer (admitPending).
 * No lease and no state file: two monitors admitting at once push under the
 * host's rollout lock, and an instance admitted twice is simply in.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {Cloud} from '../cloud/capabilities.js'
import type {Cluster} from '../cluster/loader.js'
import type {RoundLog} from '../monitor/events.js'
import {admitPending} from './admit.js'

export interface NlbMonitorOptions {
  once: boolean
  intervalMs: number
  dryRun: boolean
  signal?: AbortSignal
  log: RoundLog
}

export interface NlbMonitorResult {
  rounds: number
  /** The last round left a waiting proxy unadmitted. */
  degraded: boolean
}

export async function monitorNlb(cluster: Cluster, cloud: Cloud, options: NlbMonitorOptions): Promise<NlbMonitorResult> {
  const {log} = options
  let rounds = 0
  let degraded: boolean
  for (;;) {
    const started = Date.now()
    rounds++
    log.round = `r${rounds}`
    try {
      const report = await admitPending({cluster, reporter: log, cloud, dryRun: options.dryRun})
      degraded = report.waiting.length > 0
      if (report.pending.length > 0) log.emit({level: degraded ? 'warn' : 'info', code: 'monitor.admit', message: report.summary})
    } catch (error) {
      // A round that cannot see the group (throttled, a network blip) is reported; the next one tries again.
      if (options.once || options.dryRun) throw error
      degraded = true
      log.emit({level: 'error', code: 'monitor.admit', message: error instanceof Error ? error.message : String(error)})
    }
    if (options.once || options.dryRun || options.signal?.aborted) return {rounds, degraded}
    const left = Math.max(0, options.intervalMs - (Date.now() - started))
    try {
      await sleep(left, undefined, {signal: options.signal})
    } catch {
      return {rounds, degraded}
    }
  }
}
