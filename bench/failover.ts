#!/usr/bin/env -S npx tsx
/**
 * bench/failover: failover downtime on the sandbox, measured the way
 * ../shared/bench/keepalived-failover.sh measures keepalived's: a client
 * sends a request every 10 ms (each on a new connection, 100 ms timeout) to
 * one Elastic IP, the proxy holding it is killed with kill -9 while
 * `hactl monitor` runs, and the downtime is the completion of the last
 * success before the kill to the completion of the first success served by
 * another proxy. Split: detection (kill → the monitor's decision, bounded by
 * probe interval × fall) and action (decision → traffic restored).
 *
 *   npx tsx bench/failover.ts [--trials 7] [--peer]
 *
 * --peer also runs keepalived's benchmark (root; it makes its own network
 * namespaces) in the same run and prints the ratios. Needs `npm run build`.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {sandboxPaths} from '../src/cloud/local/paths.js'
import type {SandboxState} from '../src/cloud/local/state.js'
import {loadCluster} from '../src/cluster/loader.js'
import {sandboxKill, sandboxRevive} from '../src/sandbox/service.js'
import {BIN, ROOT} from '../test/harness/cli.js'
import {httpGet, upSandbox, type TestSandbox} from '../test/harness/sandbox.js'

interface Probe {
  send: number
  done: number
  ok: boolean
  proxy?: string
}

interface Trial {
  downtime: number
  detection?: number
  action?: number
  switched?: number
}

interface Setting {
  name: string
  interval: number
  timeout: number
  fall: number
}

const args = process.argv.slice(2)
const TRIALS = Number(args[args.indexOf('--trials') + 1] || 0) || 7
const PEER = args.includes('--peer')
const SETTINGS: Setting[] = [
  {name: 'defaults', interval: 500, timeout: 250, fall: 2},
  {name: 'fast', interval: 100, timeout: 80, fall: 2},
]

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? '    -' : `${ms.toFixed(0).padStart(5)}`)

/** One request every 10 ms, overlapping, each bounded by 100 ms: the same client as the peer's. */
function startClient(sb: TestSandbox, ip: string): {probes: Probe[]; stop: () => void} {
  const probes: Probe[] = []
  const timer = setInterval(() => {
    const send = Date.now()
    httpGet(ip, sb.ports.proxy, '/', 100).then(
      (reply) => probes.push({send, done: Date.now(), ok: reply.status === 200, proxy: reply.proxy}),
      () => probes.push({send, done: Date.now(), ok: false}),
    )
  }, 10)
  return {probes, stop: () => clearInterval(timer)}
}

/** The monitor's decisions, from its JSON-line (or time-stamped human) events. */
interface MonitorRun {
  child: ChildProcess
  decisions: {at: number; ip: string}[]
  /** Each proxy's health as the monitor last said it. */
  health: Map<string, string>
  output: () => string
}

function startMonitor(clusterFile: string): MonitorRun {
  const child = spawn(process.execPath, [BIN, 'monitor', '-c', clusterFile], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  const decisions: {at: number; ip: string}[] = []
  const health = new Map<string, string>()
  let text = ''
  const onData = (chunk: Buffer): void => {
    text += chunk.toString()
    for (const line of chunk.toString().split('\n')) {
      try {
        const event = JSON.parse(line) as {code?: string; time?: string; subject?: string; data?: {publicIp?: string; to?: string}}
        if (event.code === 'failover.planned' && event.time && event.data?.publicIp) decisions.push({at: Date.parse(event.time), ip: event.data.publicIp})
        if (event.code === 'health.transition' && event.subject && event.data?.to) health.set(event.subject, event.data.to)
        continue
      } catch {
        // a human line: "HH:MM:SS.mmm round … move IP from … to …"
      }
      const human = /^(\d\d:\d\d:\d\d\.\d\d\d)\s.*\bmove (\d+\.\d+\.\d+\.\d+) /.exec(line)
      if (human) decisions.push({at: Date.parse(`${new Date().toISOString().slice(0, 10)}T${human[1]}Z`), ip: human[2]})
      const transition = /(i-[\da-f]+): \S+ → (healthy|unhealthy)/.exec(line)
      if (transition) health.set(transition[1], transition[2])
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  return {child, decisions, health, output: () => text}
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

function holderOf(sb: TestSandbox, ip: string): string {
  const state = JSON.parse(readFileSync(path.join(sb.dir, '.hactl-sandbox', 'state.json'), 'utf8')) as SandboxState
  const address = state.addresses.find((a) => a.publicIp === ip)
  const instance = state.instances.find((i) => i.id === address?.instanceId)
  if (!instance) throw new Error(`${ip} is on no instance`)
  return instance.name
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(10)
  }
}

async function runSetting(setting: Setting, second: number): Promise<Trial[]> {
  const sb = await upSandbox(second, {extra: ['--hold-down', '1000']})
  if (sb.up.code !== 0) throw new Error(`sandbox up failed: ${sb.up.stderr}`)
  const monitorHolder: {m?: ReturnType<typeof startMonitor>} = {}
  try {
    const yaml = readFileSync(sb.clusterFile, 'utf8').replace(
      /interval: 500ms, timeout: 250ms, rise: 2, fall: 2/,
      `interval: ${setting.interval}ms, timeout: ${setting.timeout}ms, rise: 2, fall: ${setting.fall}`,
    )
    writeFileSync(sb.clusterFile, yaml)
    const cluster = await loadCluster(sb.clusterFile)
    const monitor = startMonitor(sb.clusterFile)
    monitorHolder.m = monitor
    const ip = sb.eip(1)
    const client = startClient(sb, ip)
    const trials: Trial[] = []
    try {
      for (let n = 1; n <= TRIALS; n++) {
        // Steady before each kill: every proxy up and the address answering 20 times in a row.
        await until('20 successes in a row', () => client.probes.length > 20 && client.probes.slice(-20).every((p) => p.ok), 30_000)
        // The monitor must see every proxy healthy (the revived one too) before the next kill.
        await until('the monitor to call every proxy healthy', () => monitor.health.size >= 3 && [...monitor.health.values()].every((h) => h === 'healthy'), 60_000)
        await delay(1000 + Math.floor(Math.random() * 1000))
        const victim = holderOf(sb, ip)
        const t0 = Date.now()
        await sandboxKill(cluster, victim)
        await until('traffic back on another proxy', () => client.probes.some((p) => p.send >= t0 && p.ok && p.proxy !== victim), 30_000)
        await delay(200)
        const before = client.probes.filter((p) => p.ok && p.send < t0)
        const lastOk = Math.max(...before.map((p) => p.done))
        const firstOk = Math.min(...client.probes.filter((p) => p.ok && p.send >= t0 && p.proxy !== victim).map((p) => p.done))
        const decision = monitor.decisions.find((d) => d.ip === ip && d.at >= t0)?.at
        const switched = switchedAt(sb, ip, t0)
        const trial: Trial = {
          downtime: firstOk - lastOk,
          detection: decision === undefined ? undefined : decision - t0,
          action: decision === undefined ? undefined : firstOk - decision,
          switched: switched === undefined ? undefined : switched - t0,
        }
        trials.push(trial)
        console.log(
          `  ${setting.name.padEnd(8)} #${n}: downtime ${fmt(trial.downtime)} ms  detection ${fmt(trial.detection)} ms  action ${fmt(trial.action)} ms  (kill → switch ${fmt(trial.switched)} ms, killed ${victim})`,
        )
        await sandboxRevive(cluster, victim)
      }
    } finally {
      client.stop()
    }
    if (trials.some((t) => t.detection === undefined)) {
      console.log(`  (no decision event found in some trials; monitor output tail: ${monitor.output().split('\n').slice(-3).join(' | ')})`)
    }
    return trials
  } finally {
    monitorHolder.m?.child.kill('SIGTERM')
    await sb.down()
  }
}

function summary(name: string, setting: Setting, trials: Trial[]): {median: number; action?: number} {
  const d = trials.map((t) => t.downtime)
  const det = trials.flatMap((t) => (t.detection === undefined ? [] : [t.detection]))
  const act = trials.flatMap((t) => (t.action === undefined ? [] : [t.action]))
  console.log(
    `${name.padEnd(9)} interval ${setting.interval} ms × fall ${setting.fall} = ${setting.interval * setting.fall} ms: ` +
      `downtime median ${fmt(median(d))} ms (min ${fmt(Math.min(...d))}, max ${fmt(Math.max(...d))}), ` +
      `detection median ${fmt(det.length ? median(det) : undefined)} ms, action median ${fmt(act.length ? median(act) : undefined)} ms, n=${d.length}`,
  )
  return {median: median(d), action: act.length ? median(act) : undefined}
}

/** keepalived's figures from its own script, run now on this machine. */
function runPeer(): Record<string, {median: number; min: number; max: number}> {
  const script = path.resolve(ROOT, '..', 'shared', 'bench', 'keepalived-failover.sh')
  if (!existsSync(script)) throw new Error(`${script} is missing`)
  console.log(`\nkeepalived (../shared/bench/keepalived-failover.sh, kill9, ${TRIALS} trials per setting):`)
  const run = spawnSync('bash', [script], {env: {...process.env, TRIALS: String(TRIALS), MODES: 'kill9'}, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const figures: Record<string, {median: number; min: number; max: number}> = {}
  for (const line of run.stdout.split('\n')) {
    const m = /^(v\d:[\d.]+)\s+kill9\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(line)
    if (!m) continue
    figures[m[1]] = {median: Number(m[3]), min: Number(m[4]), max: Number(m[5])}
    console.log(`  ${line}`)
  }
  if (Object.keys(figures).length === 0) console.log(`  no figures (exit ${run.status}): ${run.stderr.split('\n').slice(-5).join(' | ')}`)
  return figures
}

console.log(`failover downtime on the sandbox: kill -9 of the proxy holding one Elastic IP, a request every 10 ms, ${TRIALS} trials per setting`)
const results: Record<string, number> = {}
const actions: number[] = []
for (const [i, setting] of SETTINGS.entries()) {
  const trials = await runSetting(setting, 31 + i)
  const figures = summary(`hactl ${setting.name}`, setting, trials)
  results[setting.name] = figures.median
  if (figures.action !== undefined) actions.push(figures.action)
}
console.log(`\ngoals: defaults median ≤ 1500 ms: ${results.defaults <= 1500 ? 'met' : 'NOT met'}; fast median ≤ 300 ms: ${results.fast <= 300 ? 'met' : 'NOT met'}; action median ≤ 50 ms: ${actions.length > 0 && actions.every((a) => a <= 50) ? 'met' : 'NOT met'}`)
if (PEER) {
  const peer = runPeer()
  const v2 = peer['v2:1']?.median
  const v3 = peer['v3:0.1']?.median
  if (v2) console.log(`ratio hactl defaults / keepalived advert_int 1:   ${(results.defaults / v2).toFixed(2)} (goal ≤ 0.5)`)
  if (v3) console.log(`ratio hactl fast / keepalived VRRPv3 advert_int 0.1: ${(results.fast / v3).toFixed(2)} (goal < 1)`)
}
process.exit(0)
