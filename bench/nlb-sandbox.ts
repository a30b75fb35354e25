/**
 * What the nlb benchmarks share: a sandbox of topology nlb whose balancer
 * runs at given settings, and the supervisor's events (the balancer's target
 * transitions, the scaling group's launches) read from its log.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {sandboxPaths} from '../src/cloud/local/paths.js'
import {hactl} from '../test/harness/cli.js'
import {upSandbox, type TestSandbox} from '../test/harness/sandbox.js'

export interface BalancerSetting {
  name: string
  /** ms */
  interval: number
  healthyThreshold: number
  unhealthyThreshold: number
}

/** An AWS NLB's defaults (the schema's), and the fastest the schema allows (an NLB's own floor is 5 s). */
export const NLB_SETTINGS: BalancerSetting[] = [
  {name: 'nlb-defaults', interval: 10_000, healthyThreshold: 3, unhealthyThreshold: 3},
  {name: 'nlb-fast', interval: 1000, healthyThreshold: 2, unhealthyThreshold: 2},
]

/**
 * `sandbox up --topology nlb`, then down, the balancer block rewritten to the
 * setting, and up again on the same folder (the supervisor reads the cluster
 * file when it starts).
 */
export async function upNlbSandbox(octet: number, setting: BalancerSetting, extra: string[] = []): Promise<TestSandbox> {
  const sb = await upSandbox(octet, {extra: ['--topology', 'nlb', ...extra]})
  if (sb.up.code !== 0) throw new Error(`sandbox up failed: ${sb.up.stderr}`)
  await sb.down()
  const yaml = readFileSync(sb.clusterFile, 'utf8').replace(
    /balancer:\n {2}interval: .*\n {2}healthyThreshold: .*\n {2}unhealthyThreshold: .*\n/,
    `balancer:\n  interval: ${setting.interval}ms\n  healthyThreshold: ${setting.healthyThreshold}\n  unhealthyThreshold: ${setting.unhealthyThreshold}\n`,
  )
  if (!yaml.includes(`interval: ${setting.interval}ms`)) throw new Error('the generated cluster file has no balancer block to rewrite')
  writeFileSync(sb.clusterFile, yaml)
  const again = await hactl(['sandbox', 'up', '--dir', sb.dir], {timeoutMs: 60_000})
  if (again.code !== 0) throw new Error(`sandbox up (again) failed: ${again.stderr}`)
  return sb
}

export interface SupervisorEvent {
  at: number
  code: string
  subject?: string
  data?: Record<string, unknown>
}

/** The supervisor's events so far. */
export function supervisorEvents(sb: TestSandbox): SupervisorEvent[] {
  const log = readFileSync(sandboxPaths(path.join(sb.dir, '.hactl-sandbox')).supervisorLog, 'utf8')
  const events: SupervisorEvent[] = []
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue
    const event = JSON.parse(line) as {time: string; code: string; subject?: string; data?: Record<string, unknown>}
    events.push({at: typeof event.data?.at === 'number' ? event.data.at : Date.parse(event.time), code: event.code, subject: event.subject, data: event.data})
  }
  return events
}

/** When the balancer first put this instance into `state` at or after `after`. */
export function targetAt(events: SupervisorEvent[], instanceId: string, state: string, after: number): number | undefined {
  return events.find((e) => e.code === 'sandbox.balancer.target' && e.data?.instanceId === instanceId && e.data?.state === state && e.at >= after)?.at
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
