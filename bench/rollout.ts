/**
 * Rollout wall time. First the round trips one push makes after TCP connect
 * (one host behind a relay that delays data only). Then one change pushed to
 * 1 host, to 20 hosts at concurrency 20 and to 20 hosts at concurrency 1:
 * with the hosts' sshds on loopback (validating with the real `haproxy -c`),
 * then inside a network namespace this script creates, behind a veth with
 * 50 ms of netem delay (or a relay where the kernel has no netem), twice:
 * cheap hosts (validate, reload and check are `true`; each host an sshd
 * that forks per connection instead of re-executing itself, offers only the
 * P-256 key exchange and starts dash as the login shell: see HOST_SSHD), so
 * what is left is hactl's own part, and hosts validating with `haproxy -c`.
 * Prints times (medians of alternating rounds), ratios, connections opened
 * per host, when each host reached each phase, and the
 * CPU of each side counted apart: hactl's process, the hosts' sshds with the
 * sessions they reaped, the delay relay (every sshd here shares this
 * machine's cores with hactl). On the delayed link it also times bare SSH
 * logins (`true`, nothing else): the floor these hosts allow any push.
 *
 *   npx tsx bench/rollout.ts [--delayed-only]   (needs root for the namespace part)
 */
import {execFile, execFileSync, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {availableParallelism, homedir, tmpdir, userInfo} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {stringify} from 'yaml'

import {loadCluster} from '../src/cluster/loader.js'
import {clusterTargets, pushConfig} from '../src/services/config-sync.js'
import {connections} from '../src/remote/connect.js'
import {mapLimit} from '../src/util/map-limit.js'
import type {HactlEvent, Reporter} from '../src/events.js'
import {startSshd, type Sshd, type SshdOptions} from '../test/harness/sshd.js'
import {waitFor} from '../test/harness/wait.js'

const run = promisify(execFile)
const HOSTS = 20

const config = (version: number): string =>
  [
    'global',
    '    maxconn 1000',
    'defaults',
    '    mode http',
    '    timeout client 5s',
    '    timeout connect 5s',
    '    timeout server 5s',
    'frontend fe',
    '    bind 127.0.0.1:8080',
    `    default_backend be_${version}`,
    `backend be_${version}`,
    ...Array.from({length: 50}, (_, i) => `    server web${i} 10.0.${i >> 8}.${i & 255}:8080 check`),
    '',
  ].join('\n')

async function startHosts(options: SshdOptions): Promise<{sshds: Sshd[]; dir: string}> {
  const first = await startSshd(options)
  const rest = await Promise.all(Array.from({length: HOSTS - 1}, () => startSshd({...options, identityFile: first.identityFile})))
  return {sshds: [first, ...rest], dir: await mkdtemp(path.join(tmpdir(), 'hactl-bench-rollout-'))}
}

/** `cheap`: validate, reload and check are `true`, so a host costs almost nothing and what is left is hactl's own part. */
async function writeClusterFile(sshds: Sshd[], dir: string, options: {cheap?: boolean; name?: string} = {}): Promise<string> {
  const knownHosts = path.join(dir, `known_hosts-${options.name ?? 'hactl.yaml'}`)
  await writeFile(knownHosts, sshds.map((s) => `[${s.host}]:${s.port} ${s.hostKey}\n`).join(''))
  const hosts = sshds.map((s, i) => ({
    name: `h${i + 1}`,
    address: s.host,
    port: s.port,
    remotePath: path.join(s.dir, 'haproxy.cfg'),
    reload: 'true',
    check: 'true',
    ...(options.cheap ? {validate: 'true'} : {}),
  }))
  await Promise.all(hosts.map((h) => writeFile(h.remotePath, config(0))))
  const file = path.join(dir, options.name ?? 'hactl.yaml')
  await writeFile(
    file,
    stringify({cluster: 'bench', provider: 'static', proxy: {engine: 'haproxy', config: './haproxy.cfg'}, ssh: {identityFile: sshds[0].identityFile, knownHosts}, hosts}),
  )
  return file
}

let version = 0

/** CPU seconds a process and its reaped descendants have spent (utime, stime, cutime, cstime of /proc/PID/stat). */
function treeCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return fields.slice(11, 15).map(Number).reduce((a, b) => a + b, 0) / 100
}

/** The simulated hosts' CPU: each sshd's own and that of every session it has reaped (kex, login, shell, the install script). */
async function hostsCpu(pids: readonly number[]): Promise<number> {
  // A session's CPU reaches its sshd's account when the sshd reaps it, just after hactl closed the connection.
  await waitFor('the hosts\' sessions to end', () => pids.every((pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() === ''), 10_000, 5)
  return pids.reduce((sum, pid) => sum + treeCpu(pid), 0)
}

/** What an sshd pays to start a login shell that runs hactl's commands (bash sources the user's rc files). */
function loginShellCpu(shell: string): number {
  const own = process.cpuUsage()
  const before = treeCpu(process.pid)
  for (let i = 0; i < 5; i++) execFileSync(shell, ['-c', 'true'], {env: {HOME: homedir(), PATH: process.env.PATH, SSH_CLIENT: '127.0.0.1 1 22', SHLVL: '0'}})
  // The shells are reaped by this process: what it gained beyond its own CPU is theirs.
  const ownUsage = process.cpuUsage(own)
  return (treeCpu(process.pid) - before - (ownUsage.user + ownUsage.system) / 1e6) / 5
}

interface Simulation {
  /** Each simulated host's sshd, by host name. */
  sshdPids: Map<string, number>
  /** The process adding the link's delay, when there is one. */
  relayPid?: number
}

interface PushFigures {
  seconds: number
  maxConnections: number
  /** CPU seconds of this push: hactl's own process, the hosts' sshds and sessions, the delay relay. */
  cpu: {hactl: number; hosts: number; relay: number}
  /** Per host, milliseconds from the push's start: connecting, connected (SSH ready), config received, done. */
  phases: {connect: number; ready: number; received: number; done: number}[]
}

/** Push the next version; returns the wall time, the CPU of each side, and when each host reached each phase. */
async function push(file: string, hosts: string[], concurrency: number, sim?: Simulation): Promise<PushFigures> {
  const cluster = await loadCluster(file)
  await writeFile(cluster.spec.proxy.config, config(++version))
  const connects = new Map<string, number>()
  const seen = new Map<string, {connect: number; ready: number; received: number; done: number}>()
  let started = 0n
  const reporter: Reporter = {
    emit(e: HactlEvent) {
      if (!e.subject) return
      const at = Number(process.hrtime.bigint() - started) / 1e6
      const host = seen.get(e.subject) ?? {connect: 0, ready: 0, received: 0, done: 0}
      seen.set(e.subject, host)
      if (e.code === 'rollout.connect') {
        connects.set(e.subject, (connects.get(e.subject) ?? 0) + 1)
        host.connect = at
      } else if (e.code === 'rollout.lock') host.ready = at
      else if (e.code === 'rollout.upload') host.received = at
      else if (e.code === 'rollout.done') host.done = at
    },
  }
  const pids = hosts.map((h) => sim?.sshdPids.get(h)).filter((p): p is number => p !== undefined)
  const hostsBefore = pids.reduce((sum, pid) => sum + treeCpu(pid), 0)
  const relayBefore = sim?.relayPid ? treeCpu(sim.relayPid) : 0
  const own = process.cpuUsage()
  started = process.hrtime.bigint()
  const report = await pushConfig(cluster, {hosts, concurrency, reporter})
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const ownUsage = process.cpuUsage(own)
  const relay = sim?.relayPid ? treeCpu(sim.relayPid) - relayBefore : 0
  const hostsAfter = pids.length > 0 ? await hostsCpu(pids) : 0
  if (report.counts.updated !== hosts.length) throw new Error(`push failed: ${JSON.stringify(report.hosts.filter((h) => h.status !== 'updated'))}`)
  return {
    seconds,
    maxConnections: Math.max(...connects.values()),
    cpu: {hactl: (ownUsage.user + ownUsage.system) / 1e6, hosts: hostsAfter - hostsBefore, relay},
    phases: [...seen.values()],
  }
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * The floor any push with one SSH login per host has on these hosts: each
 * host logs in through hactl's own transport and runs `true`, nothing else.
 * Its 20-to-1 ratio is what the simulated hosts and the link allow, before
 * anything the push itself does.
 */
async function bareLogins(file: string, hosts: string[], sim: Simulation): Promise<{seconds: number; hostsCpu: number; hactlCpu: number}> {
  const cluster = await loadCluster(file)
  const targets = await clusterTargets(cluster, hosts)
  const pids = hosts.map((h) => sim.sshdPids.get(h)).filter((p): p is number => p !== undefined)
  const before = pids.reduce((sum, pid) => sum + treeCpu(pid), 0)
  const own = process.cpuUsage()
  const started = process.hrtime.bigint()
  const open = connections(cluster)
  try {
    await mapLimit(targets, targets.length, async (t) => {
      const transport = await open.connect(t)
      const result = await transport.exec(['true'])
      await transport.close()
      if (result.code !== 0) throw new Error(`${t.name}: true exited ${result.code}`)
    })
  } finally {
    await open.close()
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const ownUsage = process.cpuUsage(own)
  return {seconds, hostsCpu: (await hostsCpu(pids)) - before, hactlCpu: (ownUsage.user + ownUsage.system) / 1e6}
}

/** Rounds of 1 host then 20 hosts, alternating, so the machine's noise falls on both alike; figures are medians over the rounds. */
const ROUNDS = 5

async function measure(label: string, file: string, sim?: Simulation): Promise<{one: number; par: number; seq: number}> {
  const names = Array.from({length: HOSTS}, (_, i) => `h${i + 1}`)
  await push(file, names, HOSTS) // warm-up: first connections, page cache
  const ones: PushFigures[] = []
  const pars: PushFigures[] = []
  const bare: {one: Awaited<ReturnType<typeof bareLogins>>[]; par: Awaited<ReturnType<typeof bareLogins>>[]} = {one: [], par: []}
  for (let i = 0; i < ROUNDS; i++) {
    ones.push(await push(file, ['h1'], 1, sim))
    pars.push(await push(file, names, HOSTS, sim))
    if (sim) {
      bare.one.push(await bareLogins(file, ['h1'], sim))
      bare.par.push(await bareLogins(file, names, sim))
    }
  }
  const seq = await push(file, names, 1, sim)
  const one = median(ones.map((p) => p.seconds))
  const par = median(pars.map((p) => p.seconds))
  const f = (s: number): string => `${s.toFixed(2)} s`
  const all = (ps: PushFigures[]): string => ps.map((p) => p.seconds.toFixed(2)).join(' ')
  console.log(`${label}`)
  console.log(`  1 host:                     ${f(one)}   (median of ${ROUNDS}: ${all(ones)})`)
  console.log(`  20 hosts, concurrency 20:   ${f(par)}   (${(par / one).toFixed(2)}× one host; median of ${ROUNDS}: ${all(pars)})`)
  console.log(`  20 hosts, concurrency 1:    ${f(seq.seconds)}`)
  console.log(`  parallel / one by one:      ${(par / seq.seconds).toFixed(2)}`)
  console.log(`  connections per host per rollout (max): ${Math.max(...ones.map((p) => p.maxConnections), ...pars.map((p) => p.maxConnections), seq.maxConnections)}`)
  const ms = (x: number): string => `${Math.round(x)}`
  const phase = (ps: PushFigures[], pick: (h: PushFigures['phases'][number]) => number): string => {
    const each = ps.map((p) => p.phases.map(pick))
    return `${ms(median(each.map((hs) => median(hs))))}/${ms(median(each.map((hs) => Math.max(...hs))))}`
  }
  console.log("  where a host's time goes, ms from the push's start (median host/last host, median of rounds):")
  for (const [name, ps] of [['1 host  ', ones], ['20 hosts', pars]] as const) {
    console.log(
      `    ${name}: connecting ${phase(ps, (h) => h.connect)}, SSH ready ${phase(ps, (h) => h.ready)}, config received ${phase(ps, (h) => h.received)}, done ${phase(ps, (h) => h.done)}, push returned ${ms(median(ps.map((p) => p.seconds * 1000)))}`,
    )
  }
  if (sim) {
    const cpu = (ps: PushFigures[], side: keyof PushFigures['cpu']): number => median(ps.map((p) => p.cpu[side]))
    const line = (name: string, ps: PushFigures[]): string =>
      `${name}: hactl ${cpu(ps, 'hactl').toFixed(2)} s, hosts (sshd, login, install script) ${cpu(ps, 'hosts').toFixed(2)} s, delay relay ${cpu(ps, 'relay').toFixed(2)} s`
    console.log("  CPU per push, each side's own processes (median of rounds):")
    console.log(`    ${line('1 host  ', ones)}`)
    console.log(`    ${line('20 hosts', pars)}`)
    const needed = cpu(pars, 'hactl') + cpu(pars, 'hosts') + cpu(pars, 'relay')
    const cores = availableParallelism()
    console.log(
      `    20 hosts on ${cores} cores: their CPU alone takes ≥ ${(needed / cores).toFixed(2)} s of wall (${(cpu(pars, 'hosts') / cores).toFixed(2)} s of it the hosts'); ` +
        `1.5× one host is ${(1.5 * one).toFixed(2)} s`,
    )
    const bareOne = median(bare.one.map((b) => b.seconds))
    const barePar = median(bare.par.map((b) => b.seconds))
    console.log(
      `  the hosts' floor: one SSH login running \`true\` per host, nothing else: 1 host ${f(bareOne)}, 20 hosts ${f(barePar)} (${(barePar / bareOne).toFixed(2)}×); ` +
        `20 logins cost the hosts ${median(bare.par.map((b) => b.hostsCpu)).toFixed(2)} s of CPU, hactl ${median(bare.par.map((b) => b.hactlCpu)).toFixed(2)} s`,
    )
    console.log(
      `    the push beyond those logins: 1 host +${f(one - bareOne)}, 20 hosts +${f(par - barePar)}`,
    )
  }
  return {one, par, seq: seq.seconds}
}

/**
 * What the namespaced hosts are: one OpenSSH 9.2 sshd each, all on this
 * machine's two cores with hactl, so every CPU second a host spends is taken
 * from hactl's. A real host pays its sshd on its own cores; these are set up
 * to cost as little as an sshd can, so that what is left is hactl's part
 * (each lever measured by the hosts' CPU from /proc, per login):
 * - `sshd -r`: each connection is served by a fork of the listening sshd,
 *   not a fresh exec of the sshd binary that loads its libraries, config and
 *   host key again (about 7 ms of CPU per connection here);
 * - key exchange ecdh-sha2-nistp256 only: OpenSSH computes curve25519 with
 *   its own portable C code and P-256 through OpenSSL's assembly (about
 *   4 ms per login). hactl still offers its own list, curve25519 first; it
 *   agrees on P-256 because that is all these hosts offer;
 * - the user's login shell is dash with no rc files (this machine's root
 *   shell is bash, whose rc files start pyenv).
 * UsePAM is off already (test/harness/sshd.ts); UseDNS is off by default.
 */
const HOST_SSHD: SshdOptions = {plainShell: true, reexec: false, loginShell: '/bin/sh', kexAlgorithms: ['ecdh-sha2-nistp256']}
const HOSTS_ARE = 'each host one sshd on this machine: sshd -r (a fork per connection, no re-exec), key exchange ecdh-sha2-nistp256 only, login shell dash with no rc files'

const NS = `hactl-bench-${process.pid}`
const VETH = `hb${process.pid % 100000}a`
const PEER = `hb${process.pid % 100000}b`
const NS_ADDR = '10.231.0.2'

async function ip(...args: string[]): Promise<void> {
  await run('ip', args)
}

/**
 * Where the kernel lacks netem, the same delay in a relay process of its own
 * (bench/delay-relay.mjs), so its CPU is counted apart from hactl's: every
 * segment toward the namespace waits 50 ms.
 */
async function delayedRelay(targets: readonly Sshd[]): Promise<{pid: number; ports: number[]; close: () => void}> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'delay-relay.mjs'), String(DELAY_MS), ...targets.map((t) => `${t.host}:${t.port}`)], {stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor('the delay relay', () => out.includes('ready\n') || child.exitCode !== null, 15_000)
  if (child.exitCode !== null || child.pid === undefined) throw new Error(`delay relay exited: ${out}`)
  return {pid: child.pid, ports: out.split('\n').slice(0, targets.length).map(Number), close: () => child.kill('SIGTERM')}
}

const DELAY_MS = 50

/** A relay on 127.0.0.1 that holds every segment `delayMs` in each direction: the TCP connect itself costs nothing, every round trip of data 2 × delayMs. */
async function symmetricRelay(port: number, delayMs: number): Promise<{port: number; close: () => void}> {
  const {createServer, connect} = await import('node:net')
  type Socket = import('node:net').Socket
  const sockets = new Set<Socket>()
  const later = (fn: () => void): void => {
    if (delayMs === 0) fn()
    else setTimeout(fn, delayMs)
  }
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.on('data', (d: Buffer) => later(() => upstream.write(d)))
    upstream.on('data', (d: Buffer) => later(() => client.write(d)))
    client.on('close', () => later(() => upstream.end()))
    upstream.on('close', () => later(() => client.end()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

/**
 * Round trips one push makes after TCP connect (handshake, auth, channel,
 * upload, the command chain): one cheap host pushed through a relay that
 * delays data only, with no delay and with 100 ms each way; each round trip
 * costs the difference / 200 ms. Medians of 5 pushes.
 */
async function countRoundTrips(): Promise<number> {
  const delay = 100
  const sshd = await startSshd({})
  const relays = await Promise.all([0, delay].map((d) => symmetricRelay(sshd.port, d)))
  try {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-bench-rtt-'))
    const files = await Promise.all(
      relays.map((r, i) => writeClusterFile([{...sshd, host: '127.0.0.1', port: r.port}], dir, {cheap: true, name: `hactl-${i}.yaml`})),
    )
    const median = async (file: string): Promise<number> => {
      await push(file, ['h1'], 1)
      const times: number[] = []
      for (let i = 0; i < 5; i++) times.push((await push(file, ['h1'], 1)).seconds)
      return times.sort((a, b) => a - b)[2]
    }
    const fast = await median(files[0])
    const slow = await median(files[1])
    const trips = (slow - fast) / ((2 * delay) / 1000)
    console.log(`round trips one push makes after TCP connect: ${trips.toFixed(1)} (one cheap host: ${fast.toFixed(3)} s undelayed, ${slow.toFixed(3)} s with ${delay} ms each way)`)
    console.log(`  goal: ≤ 6 → ${Math.round(trips) <= 6 ? 'met' : 'NOT met'}\n`)
    return trips
  } finally {
    for (const r of relays) r.close()
    await sshd.stop()
  }
}

async function createNamespace(): Promise<boolean> {
  await ip('netns', 'add', NS)
  await ip('link', 'add', VETH, 'type', 'veth', 'peer', 'name', PEER)
  await ip('link', 'set', PEER, 'netns', NS)
  await ip('addr', 'add', '10.231.0.1/30', 'dev', VETH)
  await ip('link', 'set', VETH, 'up')
  await ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_ADDR}/30`, 'dev', PEER)
  await ip('netns', 'exec', NS, 'ip', 'link', 'set', PEER, 'up')
  await ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up')
  try {
    await run('tc', ['qdisc', 'add', 'dev', VETH, 'root', 'netem', 'delay', `${DELAY_MS}ms`])
    return true
  } catch (error) {
    console.log(`  tc netem: ${(error as {stderr?: string}).stderr?.trim()} (this kernel has no netem);`)
    console.log(`  the ${DELAY_MS} ms delay is added by a relay on 127.0.0.1 in front of each namespaced sshd instead`)
    return false
  }
}

async function removeNamespace(): Promise<void> {
  await ip('link', 'del', VETH).catch(() => undefined)
  await ip('netns', 'del', NS).catch(() => undefined)
}

/** The hosts' sshd processes, by the host names writeClusterFile gives them. */
async function simulation(sshds: readonly Sshd[]): Promise<Simulation> {
  const pids = await Promise.all(sshds.map(async (s) => Number((await readFile(path.join(s.dir, 'sshd.pid'), 'utf8')).trim())))
  return {sshdPids: new Map(pids.map((pid, i) => [`h${i + 1}`, pid]))}
}

async function main(): Promise<void> {
  console.log(`bench/rollout: one change to 1 and ${HOSTS} hosts (haproxy -c validation, 50-server backend)`)
  const shell = userInfo().shell ?? '/bin/sh'
  console.log(
    `a login shell costs ${loginShellCpu(shell).toFixed(3)} s of CPU here (${shell}, with this user's rc files); ` +
      `the namespaced hosts' (${HOST_SSHD.loginShell}, dash): ${loginShellCpu(HOST_SSHD.loginShell ?? '/bin/sh').toFixed(3)} s\n`,
  )
  // --delayed-only: the 50 ms link alone (the round-trip count and the loopback part take as long again).
  if (!process.argv.includes('--delayed-only')) {
    await countRoundTrips()
    const loop = await startHosts({})
    const local = await measure('loopback (every sshd shares this machine\'s cores):', await writeClusterFile(loop.sshds, loop.dir), await simulation(loop.sshds))
    await Promise.all(loop.sshds.map((s) => s.stop()))
    console.log(`  goal: 20 in parallel ≤ 0.5× 20 one by one → ${(local.par / local.seq).toFixed(2)} ${local.par / local.seq <= 0.5 ? 'met' : 'NOT met'}\n`)
  }

  if (process.getuid?.() !== 0) {
    console.log('network namespace part skipped: needs root')
    return
  }
  const cleanup = (): void => {
    void removeNamespace().finally(() => process.exit(130))
  }
  process.once('SIGINT', cleanup)
  process.once('SIGTERM', cleanup)
  const relays: {close: () => void}[] = []
  try {
    const netem = await createNamespace()
    const ns = await startHosts({address: NS_ADDR, netns: NS, ...HOST_SSHD})
    try {
      let sshds = ns.sshds
      const sim = await simulation(ns.sshds)
      if (!netem) {
        const relay = await delayedRelay(ns.sshds)
        relays.push(relay)
        sim.relayPid = relay.pid
        sshds = ns.sshds.map((s, i) => ({...s, host: '127.0.0.1', port: relay.ports[i]}))
      }
      const how = netem ? `netem delay ${DELAY_MS} ms on ${VETH}` : `${DELAY_MS} ms relay delay toward it`
      const cheap = await measure(
        `sshds in network namespace ${NS} (veth ${VETH}), ${how}; ${HOSTS_ARE}; cheap hosts (validate, reload, check: true):`,
        await writeClusterFile(sshds, ns.dir, {cheap: true, name: 'cheap.yaml'}),
        sim,
      )
      console.log(`  goal: 20 hosts ≤ 1.5× one host → ${(cheap.par / cheap.one).toFixed(2)} ${cheap.par / cheap.one <= 1.5 ? 'met' : 'NOT met'}\n`)
      const real = await measure(`the same link, each host validating with haproxy -c:`, await writeClusterFile(sshds, ns.dir), sim)
      console.log(`  20 hosts / one host: ${(real.par / real.one).toFixed(2)}`)
    } finally {
      await Promise.all(ns.sshds.map((s) => s.stop()))
    }
  } finally {
    for (const r of relays) r.close()
    await removeNamespace()
  }
}

await main()
