/**
 * Rollout wall time. First the round trips one push makes after TCP connect
 * (one host behind a relay that delays data only). Then one change pushed to
 * 1 host, to 20 hosts at concurrency 20 and to 20 hosts at concurrency 1:
 * with the hosts' sshds on loopback (validating with the real `haproxy -c`),
 * then inside a network namespace this script creates, behind a veth with
 * 50 ms of netem delay (or a relay where the kernel has no netem), twice:
 * cheap hosts (validate, reload and check are `true`, login shells read no
 * rc files), so what is left is hactl's own part, and hosts validating with
 * `haproxy -c`. Prints times, ratios, connections opened per host and the
 * machine's CPU per host (every sshd here shares this machine's two cores).
 *
 *   npx tsx bench/rollout.ts            (needs root for the namespace part)
 */
import {execFile, execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {homedir, tmpdir, userInfo} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {stringify} from 'yaml'

import {loadCluster} from '../src/cluster/loader.js'
import {pushConfig} from '../src/services/config-sync.js'
import type {HactlEvent, Reporter} from '../src/events.js'
import {startSshd, type Sshd} from '../test/harness/sshd.js'

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

async function startHosts(options: {address?: string; netns?: string; plainShell?: boolean}): Promise<{sshds: Sshd[]; dir: string}> {
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

/** CPU seconds this machine has spent so far, all processes (sshds, shells and validators included). */
function machineCpu(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , irq, softirq] = fields
  return (user + nice + system + irq + softirq) / 100
}

/** What the hosts' sshd pays to start the login shell that runs hactl's commands (it sources the user's rc files). */
function loginShellCpu(): number {
  const shell = userInfo().shell ?? '/bin/sh'
  const before = machineCpu()
  for (let i = 0; i < 5; i++) execFileSync(shell, ['-c', 'true'], {env: {HOME: homedir(), PATH: process.env.PATH, SSH_CLIENT: '127.0.0.1 1 22', SHLVL: '0'}})
  return (machineCpu() - before) / 5
}

/** Push the next version; returns seconds, machine CPU seconds per host and the most connections opened to any one host. */
async function push(file: string, hosts: string[], concurrency: number): Promise<{seconds: number; cpuPerHost: number; ownCpuPerHost: number; maxConnections: number}> {
  const cluster = await loadCluster(file)
  await writeFile(cluster.spec.proxy.config, config(++version))
  const connects = new Map<string, number>()
  const reporter: Reporter = {
    emit(e: HactlEvent) {
      if (e.code === 'rollout.connect' && e.subject) connects.set(e.subject, (connects.get(e.subject) ?? 0) + 1)
    },
  }
  const started = process.hrtime.bigint()
  const cpu = machineCpu()
  const own = process.cpuUsage()
  const report = await pushConfig(cluster, {hosts, concurrency, reporter})
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpuPerHost = (machineCpu() - cpu) / hosts.length
  const ownUsage = process.cpuUsage(own)
  const ownCpuPerHost = (ownUsage.user + ownUsage.system) / 1e6 / hosts.length
  if (report.counts.updated !== hosts.length) throw new Error(`push failed: ${JSON.stringify(report.hosts.filter((h) => h.status !== 'updated'))}`)
  return {seconds, cpuPerHost, ownCpuPerHost, maxConnections: Math.max(...connects.values())}
}

async function measure(label: string, file: string): Promise<{one: number; par: number; seq: number}> {
  const names = Array.from({length: HOSTS}, (_, i) => `h${i + 1}`)
  await push(file, names, HOSTS) // warm-up: first connections, page cache
  const one = await push(file, ['h1'], 1)
  const par = await push(file, names, HOSTS)
  const seq = await push(file, names, 1)
  const f = (s: number): string => `${s.toFixed(2)} s`
  console.log(`${label}`)
  console.log(`  1 host:                     ${f(one.seconds)}`)
  console.log(`  20 hosts, concurrency 20:   ${f(par.seconds)}   (${(par.seconds / one.seconds).toFixed(2)}× one host)`)
  console.log(`  20 hosts, concurrency 1:    ${f(seq.seconds)}`)
  console.log(`  parallel / one by one:      ${(par.seconds / seq.seconds).toFixed(2)}`)
  console.log(`  connections per host per rollout (max): ${Math.max(one.maxConnections, par.maxConnections, seq.maxConnections)}`)
  console.log(`  CPU per host, whole machine (hactl + sshd + shell + haproxy -c): ${seq.cpuPerHost.toFixed(2)} s one by one, ${par.cpuPerHost.toFixed(2)} s in parallel`)
  console.log(`  of which hactl's own process:                                 ${seq.ownCpuPerHost.toFixed(2)} s one by one, ${par.ownCpuPerHost.toFixed(2)} s in parallel`)
  return {one: one.seconds, par: par.seconds, seq: seq.seconds}
}

const NS = `hactl-bench-${process.pid}`
const VETH = `hb${process.pid % 100000}a`
const PEER = `hb${process.pid % 100000}b`
const NS_ADDR = '10.231.0.2'

async function ip(...args: string[]): Promise<void> {
  await run('ip', args)
}

/**
 * Where netem exists, 50 ms on the veth toward the namespace. Where the kernel
 * lacks it, the same delay in a relay: every segment toward the namespace
 * waits 50 ms (timers with one delay fire in order, so the stream stays intact).
 */
async function delayedRelay(target: string, port: number): Promise<{port: number; close: () => void}> {
  const {createServer, connect} = await import('node:net')
  type Socket = import('node:net').Socket
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(port, target)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (d: Buffer) => setTimeout(() => upstream.write(d), DELAY_MS))
    // A client gone without a FIN (destroyed) must still close the sshd side, or its session outlives the push.
    client.on('close', () => setTimeout(() => upstream.end(), DELAY_MS))
    upstream.pipe(client)
    upstream.on('close', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
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

async function main(): Promise<void> {
  console.log(`bench/rollout: one change to 1 and ${HOSTS} hosts (haproxy -c validation, 50-server backend)`)
  console.log(`the login shell sshd starts per session costs ${loginShellCpu().toFixed(3)} s of CPU here (${userInfo().shell}, with this user's rc files)\n`)
  await countRoundTrips()
  const loop = await startHosts({})
  const local = await measure('loopback (every sshd shares this machine\'s cores):', await writeClusterFile(loop.sshds, loop.dir))
  await Promise.all(loop.sshds.map((s) => s.stop()))
  console.log(`  goal: 20 in parallel ≤ 0.5× 20 one by one → ${(local.par / local.seq).toFixed(2)} ${local.par / local.seq <= 0.5 ? 'met' : 'NOT met'}\n`)

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
    // A proxy host's login shell does not run this machine's rc files (here they start pyenv): the namespaced hosts' shells read none.
    const ns = await startHosts({address: NS_ADDR, netns: NS, plainShell: true})
    try {
      let sshds = ns.sshds
      if (!netem) {
        const relayed = await Promise.all(ns.sshds.map((s) => delayedRelay(s.host, s.port)))
        relays.push(...relayed)
        sshds = ns.sshds.map((s, i) => ({...s, host: '127.0.0.1', port: relayed[i].port}))
      }
      const how = netem ? `netem delay ${DELAY_MS} ms on ${VETH}` : `${DELAY_MS} ms relay delay toward it`
      const cheap = await measure(
        `sshds in network namespace ${NS} (veth ${VETH}), ${how}, login shells without rc files; cheap hosts (validate, reload, check: true):`,
        await writeClusterFile(sshds, ns.dir, {cheap: true, name: 'cheap.yaml'}),
      )
      console.log(`  goal: 20 hosts ≤ 1.5× one host → ${(cheap.par / cheap.one).toFixed(2)} ${cheap.par / cheap.one <= 1.5 ? 'met' : 'NOT met'}\n`)
      const real = await measure(`the same link, each host validating with haproxy -c:`, await writeClusterFile(sshds, ns.dir))
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
