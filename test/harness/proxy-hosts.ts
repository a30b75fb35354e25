/**
 * Test "hosts" for rollouts: each has its own sshd (own port), its own folder
 * and a real haproxy in master-worker mode whose config file is the host's
 * live config. Reload is SIGUSR2 to the master; the check asks the master
 * whether it is alive.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {stringify} from 'yaml'

import {startHaproxy, type Haproxy} from './haproxy.js'
import {startSshd, type Sshd} from './sshd.js'
import {waitFor} from './wait.js'

const run = promisify(execFile)

export interface ProxyHost {
  name: string
  sshd: Sshd
  haproxy: Haproxy
  /** The live config file (what haproxy runs). */
  live: string
  pidFile: string
  /** Cluster-file host entry. */
  entry: Record<string, unknown>
  stop: () => Promise<void>
}

/**
 * A config body (after `global`) whose backend name marks its version: `show backend` proves which one
 * runs. The frontend listens on a unix socket in the host's folder, so every host can run the same file.
 */
export function configBody(version: string, extra = ''): string {
  return [
    'defaults',
    '    mode http',
    '    timeout client 5s',
    '    timeout connect 5s',
    '    timeout server 5s',
    '',
    'frontend fe',
    '    bind unix@fe.sock',
    `    default_backend be_${version}`,
    '',
    `backend be_${version}`,
    '    server s1 127.0.0.1:9',
    extra,
  ].join('\n')
}

export async function startProxyHost(name: string, identityFile?: string, options: {dir?: string} = {}): Promise<ProxyHost> {
  const sshd = await startSshd({identityFile})
  const haproxy = await startHaproxy(configBody('v1'), {dir: options.dir, relative: true})
  const pidFile = path.join(haproxy.dir, 'haproxy.pid')
  const entry = {
    name,
    address: sshd.host,
    port: sshd.port,
    remotePath: haproxy.config,
    reload: `kill -USR2 "$(cat ${pidFile})"`,
    check: `kill -0 "$(cat ${pidFile})"`,
    statsSocket: haproxy.socket,
  }
  return {
    name,
    sshd,
    haproxy,
    live: haproxy.config,
    pidFile,
    entry,
    async stop() {
      await haproxy.stop()
      await sshd.stop()
    },
  }
}

/** The config every host starts with, and the next version of it. */
export async function versions(host: ProxyHost): Promise<{v1: string; v2: string}> {
  const v1 = await readFile(host.live, 'latin1')
  return {v1, v2: v1.replace(/be_v1/g, 'be_v2')}
}

/** A static cluster over these hosts, with one known_hosts for all of them; returns the cluster file's folder. */
export async function writeCluster(hosts: readonly ProxyHost[], source: string, options: {ssh?: Record<string, unknown>; knownHosts?: string} = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-rollout-'))
  const knownHosts = path.join(dir, 'known_hosts')
  const known = options.knownHosts ?? (await Promise.all(hosts.map((h) => readFile(h.sshd.knownHosts, 'utf8')))).join('')
  await writeFile(knownHosts, known)
  await writeFile(path.join(dir, 'haproxy.cfg'), source, 'latin1')
  const cluster = {
    cluster: 'test',
    provider: 'static',
    proxy: {engine: 'haproxy', config: './haproxy.cfg', checkTimeout: '2s'},
    ssh: {identityFile: hosts[0].sshd.identityFile, knownHosts, connectTimeout: '10s', commandTimeout: '30s', ...options.ssh},
    hosts: hosts.map((h) => h.entry),
  }
  await writeFile(path.join(dir, 'hactl.yaml'), stringify(cluster))
  return dir
}

/** "backend server" for every server line of a config, sorted: what `show servers state` lists once a worker runs it. */
function configuredServers(config: string): string[] {
  const servers: string[] = []
  let section = ''
  for (const line of config.split('\n')) {
    const words = line.trim().split(/\s+/)
    if (/^\S/.test(line)) section = words[0] === 'backend' || words[0] === 'listen' ? (words[1] ?? '') : ''
    else if (section && words[0] === 'server') servers.push(`${section} ${words[1]}`)
  }
  return servers.sort()
}

/** "backend server" for every server the worker answering the admin socket runs, sorted. */
async function runningServers(host: ProxyHost): Promise<string[]> {
  const rows = (await host.haproxy.runtime('show servers state')).split('\n').filter((l) => /^\d+ /.test(l))
  return rows.map((l) => l.split(' ')).map((w) => `${w[1]} ${w[3]}`).sort()
}

/** The worker runs this config: same backends and servers. Its reload is a signal, so a push may return before it does. */
async function runs(host: ProxyHost, config: string): Promise<boolean> {
  return JSON.stringify(await runningServers(host).catch(() => [])) === JSON.stringify(configuredServers(config))
}

/**
 * The invariant every fault test checks: the host's live file is one its
 * validator accepts, the proxy runs, and it runs the config in the file,
 * which is one of `allowed`.
 */
export async function expectServing(host: ProxyHost, allowed: readonly string[]): Promise<string> {
  const live = await readFile(host.live, 'latin1')
  const version = allowed.findIndex((a) => a === live)
  if (version < 0) throw new Error(`${host.name}: live file is neither the new nor the previous config:\n${live}`)
  await run('haproxy', ['-c', '-f', host.live])
  await waitFor(`${host.name} to run the servers of its live file`, async () => runs(host, live), 15_000)
  return live
}

/** The pid of the worker answering the host's admin socket: a reload replaces it. */
export async function workerPid(host: ProxyHost): Promise<string> {
  return /^Pid: (\d+)/m.exec(await host.haproxy.runtime('show info'))?.[1] ?? ''
}

/**
 * Put a host back on `config` and wait until haproxy runs it. The wait is
 * for a new worker: the config before may serve the same backend, and a
 * test must not start while the reload is still under way.
 */
export async function resetHost(host: ProxyHost, config: string): Promise<void> {
  // A host set up by hand, as no push left it: no record of what a push loaded there.
  await rm(path.join(path.dirname(host.live), `.${path.basename(host.live)}.hactl-loaded`), {force: true})
  await writeFile(host.live, config, 'latin1')
  let before = await workerPid(host)
  // A new worker that runs this config: one from a reload the previous test started may still run the config before.
  const reloaded = async (): Promise<boolean> => {
    const now = await workerPid(host).catch(() => before)
    if (now === before) return false
    before = now
    return runs(host, config)
  }
  // A master still busy with the reload before may miss the signal: send it again until a new worker answers.
  await waitFor(
    `${host.name} to reload`,
    async () => {
      const pid = Number((await readFile(host.pidFile, 'utf8')).trim())
      process.kill(pid, 'SIGUSR2')
      return waitFor(`${host.name}'s new worker`, reloaded, 3_000).catch(() => false)
    },
    15_000,
  )
  await expectServing(host, [config])
}

export interface ProxyHostsFixture {
  hosts: ProxyHost[]
  /** The config every host starts each test with, and the next version of it. */
  v1: string
  v2: string
}

/**
 * Mocha hooks for a suite over these hosts: started once (one client key for
 * all), stopped after, and put back on v1 before every test.
 */
export function useProxyHosts(names: readonly string[]): ProxyHostsFixture {
  const fixture: ProxyHostsFixture = {hosts: [], v1: '', v2: ''}
  before(async () => {
    const first = await startProxyHost(names[0])
    const rest = await Promise.all(names.slice(1).map((n) => startProxyHost(n, first.sshd.identityFile)))
    fixture.hosts = [first, ...rest]
    Object.assign(fixture, await versions(first))
  })
  after(async () => {
    await Promise.all(fixture.hosts.map((h) => h.stop()))
  })
  beforeEach(async () => {
    await Promise.all(fixture.hosts.map((h) => resetHost(h, fixture.v1)))
  })
  return fixture
}
