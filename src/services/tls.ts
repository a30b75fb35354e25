/**
 * `hactl tls add|remove|list|check`: certificates kept beside the cluster's
 * config source (`hactl-tls/NAME.pem`: certificate, chain, key; 0600), the
 * listeners each engine needs, and the check that every proxy serves what
 * the source holds. Edits go through the one config edit (lock, validate
 * with the certificates, write) and the rollout that carries the files.
 */
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {Cluster} from '../cluster/loader.js'
import {ExitCode, UsageError, type ExitCodeValue} from '../errors.js'
import {servedCertificate} from '../health/tls-probe.js'
import type {EngineName} from '../proxy-config/engine.js'
import {ENGINE_DEFAULTS} from '../remote/hosts.js'
import {checkPair, inspectBundle} from '../proxy-config/certificate.js'
import {certificatePath, daysLeft, DEFAULT_MIN_VERSION, TLS_DIR, TLS_NAME, type TlsBinding, type TlsMinVersion} from '../proxy-config/tls.js'
import type {Reporter} from '../events.js'
import {loadConfig, resolveSource, type ConfigSourceOptions} from './config-source.js'
import {editAndPush, type EditAndPushResult} from './edit-and-push.js'

const MAX_INPUT_BYTES = 1024 * 1024

export interface TlsEditOptions extends ConfigSourceOptions {
  dryRun?: boolean
  validate?: boolean
  push: boolean
  acceptNew?: boolean
  reporter: Reporter
}

export interface TlsAddOptions extends TlsEditOptions {
  name: string
  cert: string
  key: string
  chain?: string
  hosts?: string[]
  redirectHttp: boolean
  port?: number
  minVersion?: TlsMinVersion
  ciphers?: string
  frontend?: string
  now?: Date
}

async function readInput(file: string, flag: string): Promise<{file: string; text: string}> {
  try {
    const info = await stat(file)
    if (!info.isFile()) throw new UsageError(`${flag} ${file} is not a regular file`, {actions: [`Give ${flag} the PEM file.`]})
    if (info.size > MAX_INPUT_BYTES) throw new UsageError(`${flag} ${file} is over 1 MB: not a certificate or key`, {actions: ['Check the path.']})
    return {file, text: await readFile(file, 'utf8')}
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was changed`, {actions: [`Check the path given with ${flag}.`]})
  }
}

function checkName(name: string): void {
  if (!TLS_NAME.test(name)) {
    throw new UsageError(`certificate name "${name}" is not a plain file name`, {actions: ['Use letters, digits, ".", "-" and "_" (at most 64), starting with a letter or digit.']})
  }
}

/** The HTTPS port: --port, else the cluster file's tls.port, else 443. */
async function defaultPort(options: ConfigSourceOptions & {port?: number}): Promise<number> {
  if (options.port !== undefined) return options.port
  return options.cluster?.spec.tls.port ?? 443
}

/**
 * pound and perlbal open certificate paths from their working folder (the
 * service's, `/` under systemd), not the config's: their text names the
 * certificate by its absolute path on the hosts, in the folder the rollout
 * installs `hactl-tls/` into (the live config's). One config goes to every
 * host, so that works when all hosts keep their config in one folder.
 */
const ABSOLUTE_PATHS: ReadonlySet<EngineName> = new Set(['pound', 'perlbal'])

/** The live config's folder on the hosts, as the rollout resolves it without asking the cloud. */
function hostFolders(options: ConfigSourceOptions, engine: EngineName): string[] {
  const proxy = options.cluster?.spec.proxy.remotePath ?? ENGINE_DEFAULTS[engine].remotePath
  const hosts = options.cluster?.spec.hosts ?? []
  const paths = hosts.length > 0 ? hosts.map((h) => h.remotePath ?? proxy) : [proxy]
  return [...new Set(paths.map((p) => path.posix.dirname(p)))]
}

/** The one folder on the hosts for engines that need absolute certificate paths; refused when the hosts disagree. */
async function certificateFolder(options: ConfigSourceOptions, name: string): Promise<string | undefined> {
  const source = resolveSource(options)
  // --file without --engine: the engine the file reads as.
  const engine = source.engineName ?? (await loadConfig(source)).engine.name
  if (!ABSOLUTE_PATHS.has(engine)) return undefined
  const folders = hostFolders(options, engine)
  if (folders.length === 1) return folders[0]
  throw new UsageError(
    `${engine} opens certificate paths from its working folder, not the config's, so its config names ${TLS_DIR}/${name}.pem by its absolute path on the hosts; these hosts keep their configs in ${folders.join(', ')}, and the one config pushed to all of them cannot name every folder; nothing was changed`,
    {
      actions: [
        `Give every host the same config folder (proxy.remotePath, and hosts[].remotePath in the same folder), then run tls add again.`,
        'Or terminate TLS on haproxy or nginx, which read the certificate relative to the config wherever it lives.',
      ],
    },
  )
}

export async function addTls(options: TlsAddOptions): Promise<EditAndPushResult> {
  checkName(options.name)
  const folder = await certificateFolder(options, options.name)
  const [cert, key, chain] = await Promise.all([
    readInput(options.cert, '--cert'),
    readInput(options.key, '--key'),
    options.chain === undefined ? undefined : readInput(options.chain, '--chain'),
  ])
  const checked = checkPair({cert, key, chain, hosts: options.hosts ?? [], now: options.now})
  const hosts = options.hosts && options.hosts.length > 0 ? options.hosts : checked.leaf.names
  const spec = {
    name: options.name,
    hosts,
    port: await defaultPort(options),
    redirectHttp: options.redirectHttp,
    minVersion: options.minVersion ?? (DEFAULT_MIN_VERSION as TlsMinVersion),
    ciphers: options.ciphers,
    frontend: options.frontend,
    folder,
  }
  const note = `${checked.leaf.names.join(', ')}; not after ${checked.leaf.notAfter.toISOString()}; sha256 ${checked.leaf.fingerprint.slice(0, 23)}…; 0600`
  return editAndPush({
    ...options,
    edit: {op: 'add-tls', spec},
    files: {folder: TLS_DIR, write: [{name: `${options.name}.pem`, data: checked.pem, note}], remove: []},
  })
}

/** The certificate names in the folder beside a config. */
async function storedNames(configPath: string): Promise<string[]> {
  const dir = path.join(path.dirname(configPath), TLS_DIR)
  const entries = await readdir(dir).catch(() => [] as string[])
  return entries.filter((e) => e.endsWith('.pem') && !e.startsWith('.')).map((e) => e.slice(0, -4)).sort()
}

export async function removeTls(options: TlsEditOptions & {name: string}): Promise<EditAndPushResult> {
  checkName(options.name)
  const source = await resolveSource(options)
  const remaining = (await storedNames(source.path)).filter((n) => n !== options.name)
  return editAndPush({
    ...options,
    edit: {op: 'remove-tls', spec: {name: options.name, remaining}},
    files: {folder: TLS_DIR, write: [], remove: [`${options.name}.pem`]},
  })
}

export interface TlsCertificate {
  name: string
  file: string
  hosts: string[]
  names: string[]
  notAfter?: string
  daysLeft?: number
  fingerprint?: string
  /** Frontends / server blocks that serve it, from the config. */
  servedBy: string[]
  port?: number
  /** With --live (tls list) or tls check: the proxies that serve exactly this certificate. */
  live?: string[]
  problem?: string
}

export interface TlsListing {
  file: string
  engine: string
  certificates: TlsCertificate[]
}

export async function listTls(options: ConfigSourceOptions & {now?: Date}): Promise<TlsListing> {
  const {source, engine, doc} = await loadConfig(await resolveSource(options))
  const bindings: TlsBinding[] = engine.tls?.listTls(doc) ?? []
  const now = options.now ?? new Date()
  const names = await storedNames(source.path)
  for (const b of bindings) if (b.name && !names.includes(b.name)) names.push(b.name)
  const certificates: TlsCertificate[] = []
  for (const name of names) {
    const file = path.join(path.dirname(source.path), certificatePath(name))
    // haproxy loads every file in the folder; nginx names each file.
    const mine = bindings.filter((b) => b.name === name || b.name === '')
    const text = await readFile(file, 'utf8').catch(() => undefined)
    const info = text === undefined ? undefined : inspectBundle(text, file)
    const hosts = [...new Set(mine.flatMap((b) => b.hosts))]
    certificates.push({
      name,
      file: certificatePath(name),
      hosts: hosts.length > 0 ? hosts : (info?.names ?? []),
      names: info?.names ?? [],
      notAfter: info?.notAfter.toISOString(),
      daysLeft: info ? daysLeft(info.notAfter.getTime(), now.getTime()) : undefined,
      fingerprint: info?.fingerprint,
      servedBy: mine.map((b) => b.frontend),
      port: mine.find((b) => b.port !== undefined)?.port,
      problem: text === undefined ? `${certificatePath(name)} is missing beside the config` : mine.length === 0 ? 'no listener in the config serves it' : undefined,
    })
  }
  return {file: source.display, engine: engine.name, certificates}
}

export interface TlsProbeResult {
  certificate: string
  host: string
  proxy: string
  address: string
  port: number
  status: 'expiring' | 'mismatch' | 'ok' | 'unreachable'
  served?: string
  notAfter?: string
  message?: string
}

export interface TlsCheckReport {
  cluster: string
  warnDays: number
  certificates: TlsCertificate[]
  probes: TlsProbeResult[]
  ok: boolean
  exitCode: ExitCodeValue
}

/**
 * Connect to every proxy with SNI for each host of each certificate and
 * compare what is served with the source; a certificate within warnDays of
 * expiry counts as a failure too (exit 5).
 */
export async function checkTls(options: {cluster: Cluster; hosts?: string[]; now?: Date}): Promise<TlsCheckReport> {
  const {cluster} = options
  const {clusterTargets} = await import('./config-sync.js')
  const listing = await listTls({cluster, now: options.now})
  const targets = await clusterTargets(cluster, options.hosts)
  const warnDays = cluster.spec.tls.warnDays
  const probes: TlsProbeResult[] = []
  for (const cert of listing.certificates) {
    const port = cert.port ?? cluster.spec.tls.port
    const live = new Set<string>()
    const results = await Promise.all(
      targets.flatMap((t) =>
        cert.hosts.map(async (host): Promise<TlsProbeResult> => {
          const address = t.address ?? '127.0.0.1'
          const sni = host.startsWith('*.') ? `hactl-check.${host.slice(2)}` : host
          const served = await servedCertificate(address, port, sni)
          const base = {certificate: cert.name, host, proxy: t.name, address, port}
          if (served.error) return {...base, status: 'unreachable', message: served.error}
          const notAfter = served.notAfter?.toISOString()
          if (served.fingerprint !== cert.fingerprint) return {...base, status: 'mismatch', served: served.fingerprint, notAfter, message: `serves ${served.subject ?? 'another certificate'} (not after ${notAfter})`}
          live.add(t.name)
          const left = cert.daysLeft ?? 0
          if (left < warnDays) return {...base, status: 'expiring', served: served.fingerprint, notAfter, message: `expires in ${left} days (tls.warnDays ${warnDays})`}
          return {...base, status: 'ok', served: served.fingerprint, notAfter}
        }),
      ),
    )
    probes.push(...results)
    cert.live = [...live].sort()
  }
  const ok = probes.every((p) => p.status === 'ok') && listing.certificates.every((c) => !c.problem)
  return {cluster: cluster.spec.cluster, warnDays, certificates: listing.certificates, probes, ok, exitCode: ok ? ExitCode.ok : ExitCode.unhealthy}
}

/** `tls list --live`: the listing, each certificate with the proxies that serve exactly it now. */
export async function liveListing(cluster: Cluster): Promise<TlsListing> {
  const report = await checkTls({cluster})
  const listing = await listTls({cluster})
  const live = new Map(report.certificates.map((c) => [c.name, c.live ?? []]))
  return {...listing, certificates: listing.certificates.map((c) => ({...c, live: live.get(c.name) ?? []}))}
}
