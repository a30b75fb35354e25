#!/usr/bin/env -S npx tsx
/**
 * bench/failover: failover downtime on the sandbox as a client sees it.
 *
 * A client in a process of its own (bench/failover-client.mjs: a new
 * connection every 10 ms, each bounded by 200 ms) sends requests to one
 * Elastic IP while `hactl monitor` runs; the proxy holding the address is
 * killed with kill -9. The downtime is the client's alone: the completion of
 * its last success before its first failure to the completion of its first
 * success after it. The kill moment (recorded here) and the monitor's and the
 * supervisor's event times only explain where the time went:
 *
 *   kill → first failure (client) → unhealthy (monitor, fall reached)
 *        → associated (supervisor switched the address) → first success (client)
 *
 *   npx tsx bench/failover.ts [--trials 7] [--peer] [--only fast|defaults|pairs|nlb-defaults|nlb-fast] [--timeout 200]
 *
 * The same run measures topology nlb (bench/failover-nlb.ts): a proxy behind
 * the sandbox's balancer killed, at an NLB's default check settings and at
 * the fastest the cluster file allows, and prints the topologies side by side.
 *
 * --peer also runs keepalived's VRRP failover (bench/peers/keepalived-failover.sh:
 * root, keepalived and iproute2; it makes and removes its own network
 * namespaces) in the same run and prints the ratios. Needs `npm run build`.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {setTimeout as delay} from 'node:timers/promises'

import {sandboxPaths} from '../src/cloud/local/paths.js'
import type {SandboxState} from '../src/cloud/local/state.js'
import {loadCluster} from '../src/cluster/loader.js'
import {sandboxKill, sandboxRevive} from '../src/sandbox/service.js'
import {BIN, ROOT} from '../test/harness/cli.js'
import {upSandbox, type TestSandbox} from '../test/harness/sandbox.js'
import {nlbSummary, runNlbFailover, settingText} from './failover-nlb.js'
import {NLB_SETTINGS} from './nlb-sandbox.js'

interface Setting {
  name: string
  interval: number
  timeout: number
  fall: number
}

/** One request of the client, as it logged it. */
interface Probe {
  send: number
  done: number
  result: string
  proxy: string
}

/** The client's view of one kill, and the internal moments that explain it (ms after the kill). */
interface Trial {
  downtime: number
  /** Failed requests during the outage, by result. */
  errors: Record<string, number>
  /** Failed requests after the first success (the outage was not one piece). */
  flaps: number
  lastOkBeforeKill: number
  firstFailure: number
  unhealthy?: number
  planned?: number
  switched?: number
  firstOk: number
}

const args = process.argv.slice(2)
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const TRIALS = Number(option('--trials')) || 7
const PEER = args.includes('--peer')
const ONLY = option('--only')
const CLIENT_TIMEOUT = Number(option('--timeout')) || 200
const CLIENT_EVERY = 10
const ALL_SETTINGS: Setting[] = [
  {name: 'defaults', interval: 500, timeout: 250, fall: 2},
  {name: 'fast', interval: 100, timeout: 80, fall: 2},
]
const SETTINGS = ALL_SETTINGS.filter((s) => !ONLY || s.name === ONLY)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? '    -' : `${ms.toFixed(0).padStart(5)}`)

/** The client process and what it has logged so far. */
interface Client {
  child: ChildProcess
  probes: Probe[]
  stop: () => Promise<void>
}

function startClient(ip: string, port: number): Client {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'failover-client.mjs'), ip, String(port), '--every', String(CLIENT_EVERY), '--timeout', String(CLIENT_TIMEOUT)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const probes: Probe[] = []
  createInterface({input: child.stdout!}).on('line', (line) => {
    const [send, done, result, proxy] = line.split(' ')
    probes.push({send: Number(send), done: Number(done), result, proxy})
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    probes,
    stop: async () => {
      child.stdin?.end()
      await Promise.race([exited, delay(2000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

/** The monitor's events, from its JSON lines. */
interface MonitorRun {
  child: ChildProcess
  events: {at: number; code: string; subject?: string; data?: Record<string, unknown>}[]
  /** Each proxy's health as the monitor last said it. */
  health: Map<string, string>
  output: () => string
}

function startMonitor(clusterFile: string): MonitorRun {
  const child = spawn(process.execPath, [BIN, 'monitor', '-c', clusterFile], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  const run: MonitorRun = {child, events: [], health: new Map(), output: () => text}
  let text = ''
  createInterface({input: child.stdout!}).on('line', (line) => {
    text += `${line}\n`
    try {
      const event = JSON.parse(line) as {code: string; time: string; subject?: string; data?: Record<string, unknown>}
      run.events.push({at: Date.parse(event.time), code: event.code, subject: event.subject, data: event.data})
      if (event.code === 'health.transition' && event.subject && typeof event.data?.to === 'string') run.health.set(event.subject, event.data.to)
    } catch {
      // not an event line
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return run
}

/** When the supervisor switched an address's forwarder, from its log. */
function switchedAt(sb: TestSandbox, ip: string, after: number): number | undefined {
  const log = readFileSync(sandboxPaths(path.join(sb.dir, '.hactl-sandbox')).supervisorLog, 'utf8')
  for (const line of log.split('\n')) {
    if (!line.includes('sandbox.associate')) continue
    const event = JSON.parse(line) as {time: string; subject: string}
    const at = Date.parse(event.time)
    if (event.subject === ip && at >= after) return at
  }
  return undefined
}

function sandboxState(sb: TestSandbox): SandboxState {
  return JSON.parse(readFileSync(path.join(sb.dir, '.hactl-sandbox', 'state.json'), 'utf8')) as SandboxState
}

function holderOf(sb: TestSandbox, ip: string): {id: string; name: string} {
  const state = sandboxState(sb)
  const address = state.addresses.find((a) => a.publicIp === ip)
  const instance = state.instances.find((i) => i.id === address?.instanceId)
  if (!instance) throw new Error(`${ip} is on no instance`)
  return instance
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(10)
  }
}

/**
 * The client's downtime around one kill: the longest time it went without a
 * success, from the completion of its last success before the failures to
 * the completion of its first success after them. (A request already inside
 * the proxy may still succeed just after the first failure: the gap, not the
 * first failure, marks the outage.) Only gaps that end after the kill count:
 * `from` is when the client was last seen steady.
 */
function clientView(probes: Probe[], from: number, kill: number): {downtime: number; lastOk: number; firstFail: number; firstOk: number; errors: Record<string, number>; flaps: number} | undefined {
  const window = probes.filter((p) => p.send >= from)
  const fail = window.filter((p) => p.result !== 'ok').sort((a, b) => a.done - b.done)[0]
  const oks = window.filter((p) => p.result === 'ok').sort((a, b) => a.done - b.done)
  if (!fail || oks.length < 2) return undefined
  let gap = {from: kill, to: kill}
  for (let i = 1; i < oks.length; i++) {
    if (oks[i].done > kill && oks[i].done - oks[i - 1].done > gap.to - gap.from) gap = {from: oks[i - 1].done, to: oks[i].done}
  }
  const errors: Record<string, number> = {}
  for (const p of window) if (p.result !== 'ok' && p.done > gap.from && p.done <= gap.to) errors[p.result] = (errors[p.result] ?? 0) + 1
  const flaps = window.filter((p) => p.result !== 'ok' && p.done > gap.to).length
  return {downtime: gap.to - gap.from, lastOk: gap.from, firstFail: fail.done, firstOk: gap.to, errors, flaps}
}

async function runSetting(setting: Setting, second: number, topology: 'pairs' | 'pool' = 'pool'): Promise<Trial[]> {
  const sb = await upSandbox(second, {extra: ['--topology', topology, '--hold-down', '1000']})
  if (sb.up.code !== 0) throw new Error(`sandbox up failed: ${sb.up.stderr}`)
  let monitor: MonitorRun | undefined
  let client: Client | undefined
  try {
    const yaml = readFileSync(sb.clusterFile, 'utf8').replace(
      /interval: 500ms, timeout: 250ms, rise: 2, fall: 2/,
      `interval: ${setting.interval}ms, timeout: ${setting.timeout}ms, rise: 2, fall: ${setting.fall}`,
    )
    writeFileSync(sb.clusterFile, yaml)
    const cluster = await loadCluster(sb.clusterFile)
    monitor = startMonitor(sb.clusterFile)
    const ip = sb.eip(1)
    client = startClient(ip, sb.ports.proxy)
    const probes = client.probes
    const trials: Trial[] = []
    for (let n = 1; n <= TRIALS; n++) {
      // Steady before each kill: the address answering 20 times in a row, and the monitor calling every proxy healthy.
      await until('20 successes in a row', () => probes.length > 20 && probes.slice(-20).every((p) => p.result === 'ok'), 30_000)
      await until('the monitor to call every proxy healthy', () => monitor!.health.size >= 3 && [...monitor!.health.values()].every((h) => h === 'healthy'), 60_000)
      await until('20 more successes in a row', () => probes.slice(-20).every((p) => p.result === 'ok'), 30_000)
      const steady = Date.now()
      await delay(1000 + Math.floor(Math.random() * 1000))
      const victim = holderOf(sb, ip)
      const killed = await sandboxKill(cluster, victim.name)
      const kill = killed.killedAt ?? Date.now()
      await until('traffic back on another proxy', () => probes.some((p) => p.send >= kill && p.result === 'ok' && p.proxy !== victim.name), 30_000)
      // Let the requests still in flight finish (each is bounded by the client's timeout), and see any flap.
      await delay(CLIENT_TIMEOUT + 300)
      const view = clientView(probes, steady, kill)
      if (!view) throw new Error(`trial ${n}: the client saw no outage and recovery after the kill`)
      const after = (code: string, match: (e: MonitorRun['events'][number]) => boolean): number | undefined => {
        const at = monitor!.events.find((e) => e.code === code && e.at >= kill - 5 && match(e))?.at
        return at === undefined ? undefined : at - kill
      }
      const switched = switchedAt(sb, ip, kill - 5)
      const trial: Trial = {
        downtime: view.downtime,
        errors: view.errors,
        flaps: view.flaps,
        lastOkBeforeKill: kill - view.lastOk,
        firstFailure: view.firstFail - kill,
        unhealthy: after('health.transition', (e) => e.subject === victim.id && e.data?.to === 'unhealthy'),
        planned: after('failover.planned', (e) => e.data?.publicIp === ip),
        switched: switched === undefined ? undefined : switched - kill,
        firstOk: view.firstOk - kill,
      }
      trials.push(trial)
      const errors = Object.entries(trial.errors).map(([k, v]) => `${k} ${v}`).join(', ')
      console.log(
        `  ${setting.name.padEnd(8)} #${n}: downtime ${fmt(trial.downtime)} ms = last ok ${fmt(trial.lastOkBeforeKill)} before kill; ` +
          `after kill: first failure ${fmt(trial.firstFailure)}, unhealthy ${fmt(trial.unhealthy)}, moved ${fmt(trial.planned)}, switched ${fmt(trial.switched)}, first ok ${fmt(trial.firstOk)} ` +
          `(${errors}${trial.flaps ? `; ${trial.flaps} failures after recovery` : ''}; killed ${victim.name})`,
      )
      await sandboxRevive(cluster, victim.name)
    }
    return trials
  } finally {
    await client?.stop()
    monitor?.child.kill('SIGTERM')
    await sb.down()
  }
}

/** The machine's load: on a shared machine it moves the figures more than anything measured here. */
const load = (): string => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`

/** The side-by-side table: one row per topology and setting. */
const table: string[][] = [['topology', 'setting', 'client gap median (min–max)', 'kill → unhealthy, median', 'failed requests']]

function summary(setting: Setting, trials: Trial[], topology: 'pairs' | 'pool' = 'pool'): number {
  const d = trials.map((t) => t.downtime)
  const unhealthy = trials.flatMap((t) => (t.unhealthy === undefined ? [] : [t.unhealthy]))
  table.push([
    topology === 'pool' ? 'pool (monitor moves the EIP)' : 'pairs (the EIP moves to the partner)',
    `probe ${setting.interval} ms, timeout ${setting.timeout} ms, fall ${setting.fall}`,
    `${median(d).toFixed(0)} ms (${Math.min(...d).toFixed(0)}–${Math.max(...d).toFixed(0)})`,
    unhealthy.length > 0 ? `${median(unhealthy).toFixed(0)} ms` : '-',
    'all, during the gap',
  ])
  const pick = (f: (t: Trial) => number | undefined): string => {
    const xs = trials.flatMap((t) => (f(t) === undefined ? [] : [f(t)!]))
    return fmt(xs.length ? median(xs) : undefined)
  }
  console.log(
    `hactl ${(topology === 'pool' ? setting.name : `${setting.name} (pairs)`).padEnd(8)} probe ${setting.interval} ms, timeout ${setting.timeout} ms, fall ${setting.fall}: ` +
      `downtime median ${fmt(median(d))} ms (min ${fmt(Math.min(...d))}, max ${fmt(Math.max(...d))}), n=${d.length}; ` +
      `medians after the kill: unhealthy ${pick((t) => t.unhealthy)}, switched ${pick((t) => t.switched)}, first ok ${pick((t) => t.firstOk)} ms; ${load()}`,
  )
  return median(d)
}

const PEER_SCRIPT = path.join(ROOT, 'bench', 'peers', 'keepalived-failover.sh')

/** What the peer needs, or why it cannot run here. */
function peerMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces): run the benchmark as root'
  const missing = ['keepalived', 'ip'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
  if (missing.length > 0) return `${missing.join(' and ')} missing: apt-get install -y keepalived iproute2`
  return undefined
}

/** keepalived's figures from its own script, run now on this machine. */
function runPeer(): Record<string, {median: number; min: number; max: number}> {
  console.log(`\nkeepalived (bench/peers/keepalived-failover.sh, kill9, ${TRIALS} trials per setting; its client: python, a new connection every 10 ms, 100 ms timeout):`)
  const run = spawnSync('bash', [PEER_SCRIPT], {env: {...process.env, TRIALS: String(TRIALS), MODES: 'kill9'}, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const figures: Record<string, {median: number; min: number; max: number}> = {}
  for (const line of run.stdout.split('\n')) {
    if (line.trim()) console.log(`  ${line}`)
    const m = /^(v\d:[\d.]+)\s+kill9\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(line)
    if (m) figures[m[1]] = {median: Number(m[3]), min: Number(m[4]), max: Number(m[5])}
  }
  if (Object.keys(figures).length === 0) console.log(`  no figures (exit ${run.status}): ${run.stderr.split('\n').slice(-5).join(' | ')}`)
  return figures
}

if (PEER) {
  const missing = peerMissing()
  if (missing) {
    console.error(`--peer: keepalived's benchmark cannot run: ${missing}`)
    process.exit(2)
  }
}
console.log(
  `failover downtime on the sandbox as a client sees it: kill -9 of the proxy holding one Elastic IP (pool, pairs), of one proxy behind the balancer (nlb); ` +
    `the client (its own process) opens a new connection every ${CLIENT_EVERY} ms, ${CLIENT_TIMEOUT} ms timeout; ${TRIALS} trials per setting; times in ms; ${load()}`,
)
const results: Record<string, number> = {}
for (const [i, setting] of SETTINGS.entries()) {
  const trials = await runSetting(setting, 31 + i)
  results[setting.name] = summary(setting, trials)
}
// topology pairs at the default setting: the same monitor, but the address may only go to the dead proxy's partner.
const pairsSetting = ALL_SETTINGS.find((s) => s.name === 'defaults')
if (pairsSetting && (!ONLY || ONLY === 'pairs')) summary(pairsSetting, await runSetting(pairsSetting, 35, 'pairs'), 'pairs')
const NLB_OCTETS: Record<string, number> = {'nlb-defaults': 63, 'nlb-fast': 64}
for (const setting of NLB_SETTINGS.filter((s) => !ONLY || s.name === ONLY)) {
  const trials = await runNlbFailover(setting, NLB_OCTETS[setting.name], TRIALS, CLIENT_TIMEOUT)
  const s = nlbSummary(trials)
  const gaps = trials.map((t) => t.gap)
  console.log(
    `hactl ${setting.name} ${settingText(setting)}: gap median ${s.gap.toFixed(0)} ms, window median ${s.window.toFixed(0)} ms, ` +
      `unhealthy median ${s.unhealthy.toFixed(0)} ms, ${(s.failedShare * 100).toFixed(0)}% of the window's requests failed, n=${trials.length}; ${load()}`,
  )
  table.push([
    'nlb (balancer checks)',
    settingText(setting),
    `${s.gap.toFixed(0)} ms (${Math.min(...gaps).toFixed(0)}–${Math.max(...gaps).toFixed(0)})`,
    `${s.unhealthy.toFixed(0)} ms`,
    `${(s.failedShare * 100).toFixed(0)}% for ${(s.window / 1000).toFixed(1)} s (median window)`,
  ])
}
const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)))
console.log(`\n${table.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n')}`)
const goals: string[] = []
if (results.defaults !== undefined) goals.push(`defaults median ≤ 1500 ms: ${results.defaults <= 1500 ? 'met' : 'NOT met'}`)
if (results.fast !== undefined) goals.push(`fast median ≤ 300 ms: ${results.fast <= 300 ? 'met' : 'NOT met'}`)
if (goals.length > 0) console.log(`\ngoals: ${goals.join('; ')}`)
if (PEER) {
  const peer = runPeer()
  console.log(load())
  const v2 = peer['v2:1']?.median
  const v3 = peer['v3:0.1']?.median
  if (v2 && results.defaults !== undefined) console.log(`ratio hactl defaults / keepalived VRRPv2 advert_int 1:   ${(results.defaults / v2).toFixed(2)} (goal ≤ 0.5)`)
  if (v3 && results.fast !== undefined) console.log(`ratio hactl fast / keepalived VRRPv3 advert_int 0.1: ${(results.fast / v3).toFixed(2)} (goal < 1: ${results.fast < v3 ? 'met' : 'NOT met'})`)
}
process.exit(0)
