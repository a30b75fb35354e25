#!/usr/bin/env -S npx tsx
/**
 * bench/heal: time to full capacity after a proxy is lost for good, in the sandbox.
 *
 * Topology pool with `failover.replace` and `hactl monitor` running: the
 * proxy holding the pool's second address is killed and terminated
 * (`sandbox kill --terminate`, recorded here). Full capacity again is the
 * moment its replacement, serving the current config, holds the address
 * again (the monitor's `replace.moved`, checked by one request the
 * replacement answers). The monitor's replace events split the time:
 *
 *   kill → detection (replace.started: seen dead for failover.replace.after)
 *        → launch (replace.launched) → config push (replace.pushed)
 *        → health rise (replace.healthy: `rise` probes passed)
 *        → move back (replace.moved: the address verified on it)
 *
 *   npx tsx bench/heal.ts [--trials 5] [--after 1000] [--only pool|nlb]
 *
 * Needs `npm run build`.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {loadavg} from 'node:os'
import {createInterface} from 'node:readline'
import {setTimeout as delay} from 'node:timers/promises'
import {pathToFileURL} from 'node:url'

import {loadCluster} from '../src/cluster/loader.js'
import {sandboxKill} from '../src/sandbox/service.js'
import {BIN} from '../test/harness/cli.js'
import {upSandbox} from '../test/harness/sandbox.js'
import {healNlb, type HealTrial as NlbTrial} from './heal-nlb.js'

/** One permanent loss, in ms after the kill. */
export interface HealTrial {
  total: number
  /** Named phases in order; they add up to total. */
  phases: Record<string, number>
}

/** A topology's heal measurement: its trials and the settings its figure used. */
export interface HealRun {
  name: string
  settings: string
  phaseNames: string[]
  trials: HealTrial[]
}

const args = process.argv.slice(2)
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const TRIALS = Number(option('--trials')) || 5
/** The schema's floor for failover.replace.after: a terminated proxy is seen gone at the first describe, so 1 s is what remains to wait. */
const AFTER = Number(option('--after')) || 1000
const ONLY = option('--only')
const GOAL_MS = 10_000

interface MonitorEvent {
  at: number
  code: string
  subject?: string
  data?: Record<string, unknown>
}

function startMonitor(clusterFile: string): {child: ChildProcess; events: MonitorEvent[]} {
  const child = spawn(process.execPath, [BIN, 'monitor', '--json', '-c', clusterFile], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  const events: MonitorEvent[] = []
  createInterface({input: child.stdout as NodeJS.ReadableStream}).on('line', (line) => {
    if (!line.startsWith('{')) return
    const e = JSON.parse(line) as {time: string; code: string; subject?: string; data?: Record<string, unknown>}
    events.push({at: Date.parse(e.time), code: e.code, subject: e.subject, data: e.data})
  })
  child.stderr?.resume()
  return {child, events}
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(25)
  }
}

const POOL_PHASES = ['detection', 'launch', 'config push', 'health rise', 'move back']

/** Topology pool with failover.replace: the replacement holds the dead proxy's address again. */
export async function healPool(trials: number, afterMs: number): Promise<HealRun> {
  const sb = await upSandbox(68, {extra: ['--replace-after', String(afterMs), '--hold-down', '2000']})
  if (sb.up.code !== 0) throw new Error(`sandbox up failed: ${sb.up.stderr}`)
  const cluster = await loadCluster(sb.clusterFile)
  const monitor = startMonitor(sb.clusterFile)
  const out: HealTrial[] = []
  try {
    const ip = sb.eip(2)
    for (let n = 0; n < trials; n++) {
      // Steady before each loss: three healthy proxies and the address answering.
      await until('three healthy proxies', async () => {
        const status = JSON.parse((await sb.run(['status', '--no-backends', '--json'])).stdout) as {proxies: {health: string}[]; addresses: {publicIp: string; healthy: boolean}[]}
        return status.proxies.length === 3 && status.proxies.every((p) => p.health === 'healthy') && status.addresses.every((a) => a.healthy)
      }, 60_000)
      await until(`${ip} answering`, async () => (await sb.get(ip).catch(() => undefined))?.status === 200, 30_000)
      const view = JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as {instances: {id: string; name: string}[]; addresses: {publicIp: string; instanceId?: string}[]}
      const holder = view.addresses.find((a) => a.publicIp === ip)?.instanceId as string
      const killed = await sandboxKill(cluster, holder, {terminate: true})
      const kill = killed.killedAt ?? Date.now()
      const at = (code: string): Promise<MonitorEvent> => until(code, () => monitor.events.find((e) => e.code === code && e.subject === holder), 120_000)
      const started = await at('replace.started')
      const launched = await at('replace.launched')
      const pushed = await at('replace.pushed')
      const healthy = await at('replace.healthy')
      const moved = await at('replace.moved')
      await at('replace.done')
      const replacement = launched.data?.replacementName as string
      const answer = await sb.get(ip)
      if (answer.proxy !== replacement) throw new Error(`${ip} answered by ${answer.proxy}, not the replacement ${replacement}`)
      const marks = [kill, started.at, launched.at, pushed.at, healthy.at, moved.at]
      const phases = Object.fromEntries(POOL_PHASES.map((name, i) => [name, marks[i + 1] - marks[i]]))
      out.push({total: moved.at - kill, phases})
      console.log(`  trial ${n + 1}: ${fmt(moved.at - kill)} (${POOL_PHASES.map((p) => `${p} ${fmt(phases[p])}`).join(', ')})`)
    }
  } finally {
    monitor.child.kill('SIGTERM')
    await new Promise((resolve) => monitor.child.once('exit', resolve))
    await sb.down()
  }
  const {spec} = cluster
  const probe = spec.health.proxy
  return {
    name: 'pool',
    settings: `failover.replace.after ${afterMs} ms, health.proxy interval ${probe.interval} ms / timeout ${probe.timeout} ms / rise ${probe.rise} / fall ${probe.fall} (sandbox defaults)`,
    phaseNames: POOL_PHASES,
    trials: out,
  }
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** topology nlb, from bench/heal-nlb.ts: a terminated proxy → the local scaling group's replacement passing the balancer's checks. */
async function nlbRun(trials: number): Promise<HealRun> {
  const result = await healNlb({trials, log: () => {}})
  const phases = (t: NlbTrial): Record<string, number> => ({detection: t.detection, launch: t.launch, 'config push': t.push, 'health rise': t.rise})
  return {
    name: 'nlb',
    settings: `the sandbox's balancer checks (balancer.interval 1s, healthyThreshold 2); the replacement starts from the source config`,
    phaseNames: ['detection', 'launch', 'config push', 'health rise'],
    trials: result.trials.map((t) => ({total: t.total, phases: phases(t)})),
  }
}

/** The topologies measured, side by side in one run. */
const VARIANTS: {name: string; run: (trials: number) => Promise<HealRun>}[] = [
  {name: 'pool', run: (trials) => healPool(trials, AFTER)},
  {name: 'nlb', run: nlbRun},
]

async function main(): Promise<void> {
  console.log(`bench/heal: permanent loss of a proxy (pool: sandbox kill --terminate; nlb: proxy terminate) → full capacity again, ${TRIALS} trials`)
  for (const variant of VARIANTS.filter((v) => !ONLY || v.name === ONLY)) {
    console.log(`\n${variant.name}:`)
    const run = await variant.run(TRIALS)
    const totals = run.trials.map((t) => t.total)
    console.log(`  settings: ${run.settings}`)
    console.log(`  median ${fmt(median(totals))} (min ${fmt(Math.min(...totals))}, max ${fmt(Math.max(...totals))}); goal ≤ ${fmt(GOAL_MS)}: ${median(totals) <= GOAL_MS ? 'met' : 'NOT met'}`)
    console.log(`  median split: ${run.phaseNames.map((p) => `${p} ${fmt(median(run.trials.map((t) => t.phases[p])))}`).join(', ')}`)
  }
  console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
}

// Run when started as a script; a module importing HealRun or healPool runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
