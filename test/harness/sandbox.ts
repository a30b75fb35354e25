import {createSocket} from 'node:dgram'
import {request} from 'node:http'
import {readFileSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import dnsPacket from 'dns-packet'

import {hactl, ROOT, type CliResult} from './cli.js'
import {freePort} from './ports.js'

/** True when the built CLI has this command (its topic alone is not enough). */
export function hasCommand(id: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    return id in manifest.commands
  } catch {
    return false
  }
}

export interface TestSandbox {
  dir: string
  clusterFile: string
  nets: {proxy: string; address: string; backend: string}
  ports: {proxy: number; backend: number; dns: number}
  /** Run hactl against this sandbox's cluster file. */
  run: (args: string[], timeoutMs?: number) => Promise<CliResult>
  /** The A records DNS answers for a name, over UDP. */
  resolve: (name: string) => Promise<string[]>
  /** One request on a fresh connection; the body, or an error. */
  get: (host: string, urlPath?: string) => Promise<{status: number; body: string; proxy?: string}>
  eip: (n: number) => string
  down: () => Promise<CliResult>
  /** What `sandbox up` printed and its exit code. */
  up: CliResult
}

/**
 * A sandbox on its own loopback nets (127.S.1/2/3) and free ports, so tests
 * and benchmarks can run beside a user's sandbox and beside each other.
 */
export interface UpSandboxOptions {
  dnsPort?: number
  extra?: string[]
  /** The sandbox folder (`--dir`), relative to `cwd`; a new temporary folder by default. */
  dir?: string
  cwd?: string
  /** How `sandbox up` is run (a terminal, say); the built CLI off a terminal by default. */
  cli?: (args: string[], options: {cwd?: string; timeoutMs?: number}) => Promise<CliResult>
}

export async function upSandbox(requested: number, options: UpSandboxOptions = {}): Promise<TestSandbox> {
  const second = netOctet(requested)
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'hactl-sandbox-')))
  const clusterFile = path.resolve(options.cwd ?? '', dir, 'hactl.yaml')
  const nets = {proxy: `127.${second}.1`, address: `127.${second}.2`, backend: `127.${second}.3`}
  const ports = {proxy: await freePort(), backend: await freePort(), dns: options.dnsPort ?? (await freePort())}
  const run = (args: string[], timeoutMs?: number): Promise<CliResult> => hactl([...args, '-c', clusterFile], {timeoutMs})
  const up = await (options.cli ?? hactl)(
    [
      'sandbox', 'up', '--dir', dir,
      '--proxy-net', nets.proxy, '--address-net', nets.address, '--backend-net', nets.backend,
      '--proxy-port', String(ports.proxy), '--backend-port', String(ports.backend), '--dns-port', String(ports.dns),
      ...(options.extra ?? []),
    ],
    {cwd: options.cwd, timeoutMs: 60_000},
  )
  return {
    dir: path.resolve(options.cwd ?? '', dir),
    clusterFile,
    nets,
    ports,
    up,
    run,
    resolve: (name) => resolveA(name, ports.dns),
    get: (host, urlPath = '/') => httpGet(host, ports.proxy, urlPath),
    eip: (n) => `${nets.address}.${n}`,
    down: () => run(['sandbox', 'down']),
  }
}

/** One request through the traffic client: when it was sent and answered, whether it succeeded and which proxy answered. */
export interface TrafficSample {
  send: number
  done: number
  ok: boolean
  proxy?: string
}

/** A request every 10 ms to one address of the sandbox; remembers each one, for downtime and which proxy served it. */
export function steadyTraffic(sb: TestSandbox, ip: string): {log: TrafficSample[]; stop: () => void} {
  const log: TrafficSample[] = []
  const timer = setInterval(() => {
    const send = Date.now()
    sb.get(ip).then(
      (r) => log.push({send, done: Date.now(), ok: r.status === 200, proxy: r.proxy}),
      () => log.push({send, done: Date.now(), ok: false}),
    )
  }, 10)
  return {log, stop: () => clearInterval(timer)}
}

/**
 * The second octet for a test's sandbox nets. HACTL_TEST_NET_OFFSET shifts
 * every test's nets, so two checkouts can run their suites on one machine.
 */
export function netOctet(requested: number): number {
  const offset = Number(process.env.HACTL_TEST_NET_OFFSET ?? 0)
  const second = requested + (Number.isInteger(offset) ? offset : 0)
  if (second < 1 || second > 254) throw new Error(`sandbox net 127.${second} is out of range: lower HACTL_TEST_NET_OFFSET`)
  return second
}

export async function httpGet(host: string, port: number, urlPath = '/', timeoutMs = 2000): Promise<{status: number; body: string; proxy?: string}> {
  return new Promise((resolve, reject) => {
    const req = request({host, port, path: urlPath, agent: false, timeout: timeoutMs}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body, proxy: res.headers['x-proxy'] as string | undefined}))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

export async function resolveA(name: string, port: number, server = '127.0.0.1'): Promise<string[]> {
  const socket = createSocket('udp4')
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DNS answer from ${server}:${port}`)), 3000)
      socket.once('message', (message) => {
        clearTimeout(timer)
        const answer = dnsPacket.decode(message)
        resolve((answer.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])))
      })
      socket.send(dnsPacket.encode({type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{type: 'A', name}]}), port, server)
    })
  } finally {
    socket.close()
  }
}
