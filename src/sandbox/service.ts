import {spawn} from 'node:child_process'
import {existsSync, openSync, closeSync, readFileSync} from 'node:fs'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {balancerAddress, instancePaths, sandboxPaths} from '../cloud/local/paths.js'
import {createLocalProvider, type LocalProvider} from '../cloud/local/provider.js'
import {emptyState, readState, updateState, writeState, type LocalInstance} from '../cloud/local/state.js'
import {MEMBERS_PER_PAIR, pairOf, planPairAddresses, planPairLaunch} from '../cloud/pairs.js'
import type {BalancerView} from '../cloud/capabilities.js'
import type {ElasticAddress, ProxyInstance, RecordSet} from '../cloud/provider.js'
import {loadCluster, parseCluster, type Cluster} from '../cluster/loader.js'
import {CloudError, UsageError} from '../errors.js'
import {stateFilePath} from '../monitor/state.js'
import type {Reporter} from '../events.js'
import {supervisorAlive, sendControl} from '../cloud/local/control.js'
import {DEFAULT_LAYOUT, DEFAULT_PAIRS_PROXIES, demoBackends, sandboxClusterFile, sandboxHaproxyConfig, SANDBOX_NAME, type SandboxLayout} from './files.js'
import {applySandboxFirewall} from './firewall.js'
import {checkEndpointsFree, type Endpoint} from './ports.js'
import {ownedAlive, ownedProcess, signalGroup, signalOwned} from './proxy-process.js'
import {DNS_HOST} from './supervisor.js'
import {poll} from '../util/poll.js'

export interface UpOptions {
  dir: string
  layout: Partial<SandboxLayout>
  dryRun: boolean
  reporter: Reporter
}

export interface SandboxView {
  clusterFile: string
  supervisorPid?: number
  dns: {server: string; port: number; name: string; record?: RecordSet}
  instances: (ProxyInstance & {pid?: number; alive: boolean; crashed: boolean})[]
  addresses: ElasticAddress[]
  /** topology nlb: the balancer and each target's state as its own checks see it. */
  balancer?: BalancerView
}

export interface UpResult extends SandboxView {
  alreadyRunning: boolean
  dryRun: boolean
  wrote: string[]
  next: string[]
}

function assertLinux(): void {
  if (process.platform !== 'linux') {
    throw new UsageError(`the sandbox runs on Linux only (this is ${process.platform}): it uses the whole 127.0.0.0/8 loopback range`, {
      actions: ['Run it on a Linux machine or VM, or use provider aws or static.'],
    })
  }
}

function assertHaproxy(): void {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])
  if (dirs.some((d) => d && existsSync(path.join(d, 'haproxy')))) return
  throw new UsageError('haproxy is not installed; the sandbox runs real haproxy processes', {
    actions: ['Install it: `sudo apt-get install -y haproxy` (or run `npm run quickstart`).'],
  })
}

function assertLocal(cluster: Cluster): void {
  if (cluster.spec.provider !== 'local') {
    throw new UsageError(`${cluster.file} is a provider ${cluster.spec.provider} cluster, not a sandbox`, {
      actions: ['Point at a sandbox cluster file with -c, or create one with `hactl sandbox up --dir NEW_FOLDER`.'],
    })
  }
  if (cluster.spec.proxy.engine !== 'haproxy') {
    throw new UsageError(`the sandbox runs haproxy only; ${cluster.file} asks for ${cluster.spec.proxy.engine}`, {
      actions: ['Set proxy.engine to haproxy.'],
    })
  }
}

/** Every address:port a sandbox of this cluster file binds. */
export function sandboxEndpoints(cluster: Cluster, backends = backendCount(cluster)): Endpoint[] {
  const {local} = cluster.spec
  const nlb = cluster.spec.topology === 'nlb'
  // topology nlb serves no Elastic IPs: the balancer's one address takes their place.
  const addresses = {count: nlb ? 0 : cluster.spec.addresses.count}
  const tcp = (host: string, port: number, what: string): Endpoint => ({host, port, protocol: 'tcp', what})
  return [
    ...(nlb ? [tcp(balancerAddress(local), local.proxyPort, 'the balancer'), ...(local.tlsPort === undefined ? [] : [tcp(balancerAddress(local), local.tlsPort, 'the balancer (https)')])] : []),
    tcp(DNS_HOST, local.dnsPort, 'DNS'),
    {host: DNS_HOST, port: local.dnsPort, protocol: 'udp', what: 'DNS'},
    ...Array.from({length: proxyCount(cluster)}, (_, i) => tcp(`${local.proxyNet}.${i + 1}`, local.proxyPort, `proxy-${i + 1}`)),
    ...Array.from({length: addresses.count}, (_, i) => tcp(`${local.addressNet}.${i + 1}`, local.proxyPort, 'an Elastic IP')),
    ...(local.tlsPort === undefined
      ? []
      : [
          ...Array.from({length: proxyCount(cluster)}, (_, i) => tcp(`${local.proxyNet}.${i + 1}`, local.tlsPort!, `proxy-${i + 1} (https)`)),
          ...Array.from({length: addresses.count}, (_, i) => tcp(`${local.addressNet}.${i + 1}`, local.tlsPort!, 'an Elastic IP (https)')),
        ]),
    ...demoBackends({backendNet: local.backendNet, backendPort: local.backendPort, backends}).map((b) => tcp(b.address, b.port, `demo backend ${b.name}`)),
  ]
}

/** The demo backends are the servers of the generated config that live on the backend net. */
function backendCount(cluster: Cluster): number {
  try {
    const text = readFileSync(cluster.spec.proxy.config, 'latin1')
    const net = cluster.spec.local.backendNet.replaceAll('.', '\\.')
    const found = text.match(new RegExp(`^\\s*server\\s+web\\d+\\s+${net}\\.\\d+:${cluster.spec.local.backendPort}\\b`, 'gm'))
    return found?.length ?? DEFAULT_LAYOUT.backends
  } catch {
    return DEFAULT_LAYOUT.backends
  }
}

/** `hactl sandbox up`: lay out the folder if it is new, start the supervisor, then build the cluster through the provider. */
export async function sandboxUp(options: UpOptions): Promise<UpResult> {
  assertLinux()
  const layout = resolveLayout(options.layout)
  const dir = path.resolve(options.dir)
  const clusterFile = path.join(dir, 'hactl.yaml')
  const wrote: string[] = []
  const fresh = !existsSync(clusterFile)
  const configFile = path.join(dir, 'haproxy.cfg')
  if (fresh && existsSync(configFile)) {
    throw new UsageError(`${configFile} exists but ${clusterFile} does not`, {actions: ['Move it away or pick another --dir.']})
  }
  // A new folder is checked in memory first, so a bad flag or a taken port leaves nothing on disk.
  const cluster = fresh ? parseCluster(sandboxClusterFile(layout), clusterFile) : await loadCluster(clusterFile)
  if (fresh) wrote.push(clusterFile, configFile)
  assertLocal(cluster)
  const paths = sandboxPaths(cluster.spec.local.dir)
  if (await supervisorAlive(paths.control)) {
    return {...(await sandboxStatus(cluster)), alreadyRunning: true, dryRun: options.dryRun, wrote, next: nextSteps(cluster)}
  }
  if (options.dryRun) {
    return {...emptyView(clusterFile, layout), alreadyRunning: false, dryRun: true, wrote, next: []}
  }
  assertHaproxy()
  await checkEndpointsFree(sandboxEndpoints(cluster, fresh ? layout.backends : undefined))
  if (fresh) {
    await mkdir(dir, {recursive: true})
    await writeFile(configFile, sandboxHaproxyConfig(layout))
    await writeFile(clusterFile, sandboxClusterFile(layout))
    options.reporter.emit({level: 'info', code: 'sandbox.write', message: `wrote ${shown(clusterFile)} and ${shown(configFile)}`})
  }

  await clearRuntime(cluster)
  await writeState(paths.dir, emptyState(cluster.spec.cluster, demoBackends({...cluster.spec.local, backends: backendCount(cluster)})))
  const pid = await startSupervisor(cluster)
  options.reporter.emit({level: 'info', code: 'sandbox.supervisor', message: `supervisor ${pid} started (log: ${shown(paths.supervisorLog)})`})
  await buildCluster(cluster, options.reporter)
  return {...(await sandboxStatus(cluster)), alreadyRunning: false, dryRun: false, wrote, next: nextSteps(cluster)}
}

/** The flags over the defaults; pairs need an even number of proxies (three pairs by default). */
function resolveLayout(given: Partial<SandboxLayout>): SandboxLayout {
  const topology = given.topology ?? DEFAULT_LAYOUT.topology
  const proxies = given.proxies ?? (topology === 'pairs' ? DEFAULT_PAIRS_PROXIES : DEFAULT_LAYOUT.proxies)
  if (topology === 'pairs' && proxies % 2 !== 0) {
    throw new UsageError(`--topology pairs runs proxies in pairs of two: --proxies ${proxies} is odd`, {
      actions: [`Pass --proxies ${proxies + 1} (${(proxies + 1) / 2} pairs) or --proxies ${Math.max(2, proxies - 1)}.`],
    })
  }
  return {...DEFAULT_LAYOUT, ...given, topology, proxies}
}

/** How many proxies a cluster runs: two per address in pairs. */
function proxyCount(cluster: Cluster): number {
  const {topology, proxy, addresses} = cluster.spec
  return topology === 'pairs' ? addresses.count * MEMBERS_PER_PAIR : proxy.instances.count
}

/** A path as the user would type it from here. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file)
  return relative && !relative.startsWith('..') ? relative : file
}

function emptyView(clusterFile: string, layout: SandboxLayout): SandboxView {
  return {clusterFile, dns: {server: DNS_HOST, port: layout.dnsPort, name: SANDBOX_NAME}, instances: [], addresses: []}
}

function supervisorEntry(): string[] {
  const here = fileURLToPath(import.meta.url)
  const ext = path.extname(here) === '.ts' ? '.ts' : '.js'
  // This code is src/sandbox/service.ts under tsx (tests importing the service),
  // or somewhere in the build under dist/ (a command's bundle, .cjs): the entry is
  // <src or dist>/sandbox/supervisor-main, found by walking up.
  for (let dir = path.dirname(here); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const entry = path.join(dir, 'sandbox', `supervisor-main${ext}`)
    if (existsSync(entry)) return ext === '.ts' ? ['--import', 'tsx', entry] : [entry]
  }
  throw new Error(`sandbox/supervisor-main${ext} is missing next to ${here}: rebuild with npm run build`)
}

async function startSupervisor(cluster: Cluster): Promise<number> {
  const paths = sandboxPaths(cluster.spec.local.dir)
  const log = openSync(paths.supervisorLog, 'a')
  const child = spawn(process.execPath, [...supervisorEntry(), cluster.path], {detached: true, stdio: ['ignore', log, log], cwd: cluster.dir})
  closeSync(log)
  let exited = false
  child.once('exit', () => (exited = true))
  child.unref()
  const up = await poll(() => supervisorAlive(paths.control), (alive) => alive !== undefined || exited, {timeoutMs: 30_000, delayMs: 50})
  if (up.value) return child.pid ?? 0
  if (!exited && child.pid) signalGroup(child.pid, 'SIGKILL')
  throw new CloudError(`the sandbox did not start: ${fatalLine(paths.supervisorLog)}`, {
    actions: [`See ${paths.supervisorLog}.`],
  })
}

function fatalLine(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trim().split('\n').reverse()
    for (const line of lines) {
      const event = JSON.parse(line) as {code?: string; message?: string}
      if (event.code === 'sandbox.fatal' || event.code === 'sandbox.problem') return event.message ?? line
    }
  } catch {
    // fall through
  }
  return 'the supervisor exited'
}

/** Through the capabilities, as on AWS: launch the proxies, allocate and spread the addresses, publish DNS. */
async function buildCluster(cluster: Cluster, reporter: Reporter): Promise<void> {
  const provider = await createLocalProvider(cluster)
  const {dns, proxy, local} = cluster.spec
  const zones = proxy.instances.zones.length > 0 ? proxy.instances.zones : local.zones
  // Before the proxies start: they are launched into the proxies' group, so no health check of theirs meets a closed backend.
  const changes = await applySandboxFirewall(cluster)
  if (changes > 0) reporter.emit({level: 'info', code: 'sandbox.firewall', message: `firewall: ${changes} changes made; the demo backends accept what their group allows (\`hactl firewall audit\`)`})
  const {topology} = cluster.spec
  const pool = topology === 'nlb' ? [] : topology === 'pairs' ? await buildPairs(cluster, provider, zones, reporter) : await buildPool(cluster, provider, zones, reporter)
  const published = topology === 'nlb' ? [await buildNlb(cluster, provider, zones, reporter)] : pool.map((a) => a.publicIp)
  if (dns) {
    await provider.upsertRecordSet({name: dns.name, type: 'A', ttl: dns.ttl, values: published})
    reporter.emit({level: 'info', code: 'sandbox.dns', subject: dns.name, message: published.join(' ')})
  }
}

/**
 * topology nlb, as `proxy launch` builds it on AWS: the proxies, each a
 * target of the balancer, then the group that keeps their count (from then
 * on the supervisor replaces a terminated proxy). Returns the balancer's address.
 */
async function buildNlb(cluster: Cluster, provider: LocalProvider, zones: string[], reporter: Reporter): Promise<string> {
  const {count} = cluster.spec.proxy.instances
  const existing = await provider.listProxies()
  const missing = count - existing.length
  if (missing > 0) {
    const placements = Array.from({length: missing}, (_, i) => ({zone: zones[(existing.length + i) % zones.length]}))
    const launched = await provider.launchProxies(placements, {clientToken: `sandbox-${Date.now()}`, installSource: true})
    for (const i of launched) reporter.emit({level: 'info', code: 'sandbox.launch', subject: i.name, message: `haproxy on ${i.privateAddress} (${i.zone})`})
  }
  const proxies = await provider.listProxies()
  await provider.registerTargets(proxies.map((p) => p.id))
  await provider.setCount(count)
  const address = balancerAddress(cluster.spec.local)
  reporter.emit({level: 'info', code: 'sandbox.balancer', subject: address, message: `→ ${proxies.map((p) => p.name).join(' ')} (balancer checks every ${cluster.spec.balancer.interval} ms)`})
  return address
}

/**
 * topology pairs, planned as `proxy launch` and `eip allocate` plan it on EC2:
 * two proxies per address across two zones, each tagged with its pair, and
 * each pair's address on its first member.
 */
async function buildPairs(cluster: Cluster, provider: LocalProvider, zones: string[], reporter: Reporter): Promise<ElasticAddress[]> {
  const count = cluster.spec.addresses.count
  const launch = planPairLaunch(await provider.listProxies(), count, zones.map((zone) => ({zone})))
  if (launch.placements.length > 0) {
    const launched = await provider.launchProxies(launch.placements, {clientToken: `sandbox-${Date.now()}`, installSource: true})
    for (const i of launched) reporter.emit({level: 'info', code: 'sandbox.launch', subject: i.name, message: `haproxy on ${i.privateAddress} (${i.zone}, ${pairOf(i)})`})
  }
  const instances = await provider.listProxies()
  const planned = planPairAddresses(await provider.listAddresses(), instances, count)
  for (const pair of planned.allocate) await provider.allocateAddress({pair})
  const pool = await provider.listAddresses()
  for (const address of pool) {
    const pair = pairOf(address)
    if (address.instanceId || !pair) continue
    const target = instances.find((i) => pairOf(i) === pair)
    if (!target) continue
    await provider.associateAddress(address.allocationId, target.id)
    reporter.emit({level: 'info', code: 'sandbox.associate', subject: address.publicIp, message: `→ ${target.name} (${pair})`})
  }
  return pool
}

async function buildPool(cluster: Cluster, provider: LocalProvider, zones: string[], reporter: Reporter): Promise<ElasticAddress[]> {
  const {addresses, proxy} = cluster.spec
  const existing = await provider.listProxies()
  const missing = proxy.instances.count - existing.length
  if (missing > 0) {
    const placements = Array.from({length: missing}, (_, i) => ({zone: zones[(existing.length + i) % zones.length]}))
    const launched = await provider.launchProxies(placements, {clientToken: `sandbox-${Date.now()}`, installSource: true})
    for (const i of launched) reporter.emit({level: 'info', code: 'sandbox.launch', subject: i.name, message: `haproxy on ${i.privateAddress} (${i.zone})`})
  }
  const instances = await provider.listProxies()
  const pool = await provider.listAddresses()
  while (pool.length < addresses.count) pool.push(await provider.allocateAddress())
  for (const [n, address] of pool.entries()) {
    if (address.instanceId) continue
    const target = instances[n % instances.length]
    await provider.associateAddress(address.allocationId, target.id)
    reporter.emit({level: 'info', code: 'sandbox.associate', subject: address.publicIp, message: `→ ${target.name}`})
  }
  return pool
}

function nextSteps(cluster: Cluster): string[] {
  const {local, dns} = cluster.spec
  const c = shown(cluster.path)
  const flag = c === 'hactl.yaml' ? '' : ` -c ${c}`
  const port = local.proxyPort === 80 ? '' : `:${local.proxyPort}`
  if (cluster.spec.topology === 'nlb') {
    return [
      `dig @${DNS_HOST} -p ${local.dnsPort} ${dns?.name ?? SANDBOX_NAME} +short`,
      `curl -s http://${balancerAddress(local)}${port}/    # the balancer: each new connection to a healthy proxy`,
      `hactl proxy list${flag}    # each proxy's state as a target of the balancer`,
      `hactl status${flag}`,
      `hactl sandbox kill proxy-1${flag}    # the balancer stops sending it connections after its checks fail`,
      `hactl proxy terminate proxy-2${flag} --yes    # the group launches a replacement, which joins the balancer`,
      `hactl sandbox down${flag}`,
    ]
  }
  return [
    `dig @${DNS_HOST} -p ${local.dnsPort} ${dns?.name ?? SANDBOX_NAME} +short`,
    `curl -s http://${local.addressNet}.1${port}/`,
    `hactl status${flag}`,
    `hactl firewall audit${flag}    # the backends answer only the proxies`,
    `hactl logs -f${flag}    # every proxy's requests, one stream`,
    `hactl monitor${flag}    # in a second terminal`,
    cluster.spec.topology === 'pairs'
      ? `hactl sandbox kill proxy-1${flag}    # then watch the monitor move ${local.addressNet}.1 to proxy-1's partner in its pair`
      : `hactl sandbox kill proxy-1${flag}    # then watch the monitor move ${local.addressNet}.1`,
    `hactl sandbox down${flag}`,
  ]
}

export async function sandboxStatus(cluster: Cluster): Promise<SandboxView> {
  assertLocal(cluster)
  const paths = sandboxPaths(cluster.spec.local.dir)
  const ping = await supervisorAlive(paths.control)
  const state = await readState(paths.dir)
  const {local, dns} = cluster.spec
  const view: SandboxView = {
    clusterFile: cluster.path,
    supervisorPid: ping?.pid,
    dns: {server: DNS_HOST, port: local.dnsPort, name: dns?.name ?? SANDBOX_NAME},
    instances: [],
    addresses: [],
  }
  if (!state || !ping) return view
  const provider = await createLocalProvider(cluster)
  const crashed = new Map(state.instances.map((i) => [i.id, Boolean(i.crashed)]))
  view.instances = (await provider.listProxies()).map((i) => {
    const {identity} = proxyProcess(paths.dir, i.id)
    const alive = identity !== undefined && !crashed.get(i.id)
    return {...i, pid: alive ? identity.pid : undefined, alive, crashed: crashed.get(i.id) ?? false}
  })
  view.addresses = await provider.listAddresses()
  if (cluster.spec.topology === 'nlb') view.balancer = await provider.describeBalancer()
  if (dns) view.dns.record = await provider.getRecordSet(dns.name)
  return view
}

export interface DownResult {
  wasRunning: boolean
  supervisorPid?: number
  stoppedProxies: string[]
}

/**
 * Stop every process the sandbox started; keep the user's files (cluster file, proxy config) and the log.
 * A process is signalled only when it is the one hactl recorded starting (pid, start time, program):
 * a stale or foreign pid file is reported and left alone.
 */
export async function sandboxDown(cluster: Cluster, reporter: Reporter, dryRun: boolean): Promise<DownResult> {
  assertLocal(cluster)
  const paths = sandboxPaths(cluster.spec.local.dir)
  const state = await readState(paths.dir)
  const supervisor = ownedProcess(paths.supervisorPid, paths.supervisorOwner, 'sandbox supervisor', cluster.path)
  const found = (state?.instances ?? []).map((i) => ({name: i.name, ...proxyProcess(paths.dir, i.id)}))
  for (const problem of [...supervisor.problems, ...found.flatMap((p) => p.problems)]) {
    reporter.emit({level: 'warn', code: 'sandbox.pid', message: problem})
  }
  const proxies = found.filter((p) => p.identity !== undefined)
  const supervisorPid = supervisor.identity?.pid
  const wasRunning = supervisorPid !== undefined || proxies.length > 0
  if (dryRun) return {wasRunning, supervisorPid, stoppedProxies: proxies.map((p) => p.name)}
  if (supervisor.identity) {
    await sendControl(paths.control, {op: 'shutdown'}, 5000).catch(() => undefined)
    await waitGone(supervisor.identity, 10_000)
    signalOwned(supervisor.identity, 'SIGKILL')
    reporter.emit({level: 'info', code: 'sandbox.stop', message: `supervisor ${supervisorPid} stopped`})
  }
  // Whatever outlived the supervisor (it was killed, say) is stopped, if it is still the process hactl started.
  for (const p of proxies) {
    if (p.identity) signalOwned(p.identity, 'SIGKILL')
    await waitGone(p.identity, 5000)
  }
  const leftAlone = supervisor.problems.length + found.reduce((n, p) => n + p.problems.length, 0)
  // Forgetting the instances while a process was left alone would leave it running with nothing that names it.
  if (leftAlone === 0) await clearRuntime(cluster)
  else reporter.emit({level: 'warn', code: 'sandbox.kept', message: `kept the sandbox's state and pid files: ${leftAlone} process(es) above were left alone; stop them yourself, then run sandbox down again`})
  return {wasRunning, supervisorPid: wasRunning ? supervisorPid : undefined, stoppedProxies: proxies.map((p) => p.name)}
}

function proxyProcess(dir: string, id: string): ReturnType<typeof ownedProcess> {
  const files = instancePaths(dir, id)
  return ownedProcess(files.pid, files.owner, 'haproxy', files.pid)
}

async function waitGone(identity: Parameters<typeof ownedAlive>[0], timeoutMs: number): Promise<void> {
  await poll(() => ownedAlive(identity), (alive) => !alive, {timeoutMs, delayMs: 25})
}

/**
 * Remove what only a running sandbox needs, and the monitor's memory of its
 * instances (they will not come back); the log stays for the post-mortem.
 */
async function clearRuntime(cluster: Cluster): Promise<void> {
  const paths = sandboxPaths(cluster.spec.local.dir)
  for (const p of [paths.state, paths.control, paths.supervisorPid, paths.supervisorOwner, paths.lock, paths.instances, stateFilePath(cluster)]) {
    await rm(p, {recursive: true, force: true})
  }
}

export interface KillResult {
  instance: string
  id: string
  pid?: number
  changed: boolean
  /** When the kill signal was sent (ms since the epoch): the failover benchmark times the outage from it. */
  killedAt?: number
  /** Pids hactl found but did not signal: not the process it started. */
  skipped?: string[]
  /** --dry-run: nothing was signalled or changed. */
  dryRun?: boolean
  /** --terminate: the instance is gone, as terminateProxy leaves it; these addresses fell off it. */
  terminated?: {addresses: string[]}
}

function findInstance(instances: LocalInstance[], key: string): LocalInstance {
  const found = instances.find((i) => i.id === key || i.name === key || i.address === key)
  if (!found) {
    throw new UsageError(`no sandbox instance "${key}"`, {
      actions: [`Name one of: ${instances.map((i) => `${i.name} (${i.id})`).join(', ') || 'none; run `hactl sandbox up`'}.`],
    })
  }
  return found
}

/**
 * kill -9 of an instance's haproxy, as a node that dies: nothing restarts it
 * until `sandbox revive`. With `terminate`, a permanent loss: the instance is
 * then terminated as the Instances capability's terminateProxy does it (its
 * addresses fall off, as on EC2, and it leaves the state), so nothing brings
 * it back and only a new proxy takes its place.
 */
export async function sandboxKill(cluster: Cluster, key: string, options: {terminate?: boolean; dryRun?: boolean} = {}): Promise<KillResult> {
  assertLocal(cluster)
  const dir = cluster.spec.local.dir
  if (options.dryRun) {
    const state = await readState(dir)
    if (!state) throw new CloudError(`no sandbox is running in ${dir}`, {actions: ['Start it with `hactl sandbox up`.']})
    const found = findInstance(state.instances, key)
    return {instance: found.name, id: found.id, pid: proxyProcess(dir, found.id).identity?.pid, changed: false, dryRun: true}
  }
  const instance = await updateState(dir, (state) => {
    const found = findInstance(state.instances, key)
    found.crashed = true
    return {...found, addresses: state.addresses.filter((a) => a.instanceId === found.id).map((a) => a.publicIp)}
  })
  const {identity, problems} = proxyProcess(dir, instance.id)
  const killedAt = Date.now()
  const killed = identity !== undefined && signalOwned(identity, 'SIGKILL')
  await waitGone(identity, 5000)
  const base = {instance: instance.name, id: instance.id, pid: identity?.pid, ...(problems.length > 0 ? {skipped: problems} : {})}
  if (!options.terminate) return {...base, changed: killed, ...(killed ? {killedAt} : {})}
  const provider = await createLocalProvider(cluster)
  await provider.terminateProxy(instance.id)
  return {...base, changed: true, killedAt, terminated: {addresses: instance.addresses}}
}

/** Bring a killed instance back: the supervisor starts its haproxy again with the config it last had. */
export async function sandboxRevive(cluster: Cluster, key: string): Promise<KillResult> {
  assertLocal(cluster)
  const dir = cluster.spec.local.dir
  const instance = await updateState(dir, (state) => {
    const found = findInstance(state.instances, key)
    const wasCrashed = Boolean(found.crashed)
    found.crashed = false
    return {...found, wasCrashed}
  })
  const answer = await sendControl(sandboxPaths(dir).control, {op: 'reconcile'}, 30_000)
  if (!answer.ok) {
    throw new CloudError(`${instance.name} did not come back: ${answer.problems?.map((p) => p.message).join('; ') ?? answer.error}`)
  }
  const pid = proxyProcess(dir, instance.id).identity?.pid
  return {instance: instance.name, id: instance.id, pid, changed: instance.wasCrashed || Boolean(answer.started?.includes(instance.name))}
}
