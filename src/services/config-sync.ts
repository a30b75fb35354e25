/**
 * config push / diff / pull: the cluster's config source against the live
 * file on every proxy host.
 */
import {createHash} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Cluster} from '../cluster/loader.js'
import {openCloud} from '../cloud/index.js'
import {ConfigError, ExitCode, HactlError, UsageError, type ExitCodeValue} from '../errors.js'
import {barrier} from '../failover/barrier.js'
import {fileProblem, withFileLock, writeConfigFile} from '../proxy-config/files.js'
import {connections, type ConnectOptions, type Connections} from '../remote/connect.js'
import {rolloutTargets, selectTargets, type RolloutTarget} from '../remote/hosts.js'
import {describePlan, hostPaths, planHost} from '../remote/plan.js'
import {rollout, type BundleFile, type HostResult, type HostStatus} from '../remote/rollout.js'
import {TLS_DIR} from '../proxy-config/tls.js'
import {unifiedDiff} from '../diff.js'
import type {Reporter} from '../events.js'
import {mapLimit} from '../util/map-limit.js'
import {displayPath} from './validate.js'

export interface PushOptions extends ConnectOptions {
  hosts?: string[]
  concurrency?: number
  maxFailures?: number
  canary?: number
  dryRun?: boolean
  /** Reload and check hosts that already have the source, too. */
  forceReload?: boolean
  reporter: Reporter
}

export interface PushReport {
  cluster: string
  source: string
  dryRun: boolean
  hosts: HostResult[]
  counts: Record<HostStatus, number>
  /** --dry-run: the exact steps per host. */
  plan?: {host: string; steps: string[]}[]
  exitCode: ExitCodeValue
}

/** The proxies a command works on: the provider's, narrowed by --hosts. */
export async function clusterTargets(cluster: Cluster, names?: string[]): Promise<RolloutTarget[]> {
  const {hosts} = await openCloud(cluster)
  const targets = selectTargets(rolloutTargets(cluster, await hosts.listProxies()), names)
  if (targets.length === 0) {
    throw new UsageError('this cluster has no running proxies to work on', {actions: ['Check hosts: in the cluster file, or launch proxies first.']})
  }
  return targets
}

export async function readSource(cluster: Cluster): Promise<Buffer> {
  try {
    return await readFile(cluster.spec.proxy.config)
  } catch (error) {
    throw new ConfigError(`proxy.config: cannot read ${displayPath(cluster, cluster.spec.proxy.config)}`, {file: cluster.file}, {
      actions: ['Fix proxy.config in the cluster file, or create the file (hactl init writes a starter one).'],
      cause: error,
    })
  }
}

/**
 * The certificates that go with the source: every PEM in `hactl-tls/` beside
 * it, or undefined when there is no such folder (nothing to carry, and the
 * hosts' own folder is left alone).
 */
export async function readBundle(cluster: Cluster): Promise<BundleFile[] | undefined> {
  const dir = path.join(path.dirname(cluster.spec.proxy.config), TLS_DIR)
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read ${displayPath(cluster, dir)} (${error.code ?? error.message})`, {file: cluster.file}, {actions: ['Fix the permissions of the certificate folder beside proxy.config.']})
  })
  if (!names) return undefined
  const pems = names.filter((n) => n.endsWith('.pem') && !n.startsWith('.')).sort()
  return Promise.all(pems.map(async (name) => ({name, data: await readFile(path.join(dir, name))})))
}

export async function pushConfig(cluster: Cluster, options: PushOptions): Promise<PushReport> {
  const source = await readSource(cluster)
  const files = await readBundle(cluster)
  const targets = await clusterTargets(cluster, options.hosts)
  const base = {cluster: cluster.spec.cluster, source: displayPath(cluster, cluster.spec.proxy.config)}
  if (options.dryRun) {
    const plan = targets.map((t) => ({host: t.name, steps: describePlan(planHost(t), files?.map((f) => f.name))}))
    const hosts = targets.map((t) => ({host: t.name, status: 'skipped' as const, message: 'dry run', ms: 0}))
    return {...base, dryRun: true, hosts, counts: {busy: 0, failed: 0, rejected: 0, skipped: hosts.length, unchanged: 0, unreachable: 0, updated: 0}, plan, exitCode: ExitCode.ok}
  }
  const open = connections(cluster, options)
  try {
    const result = await rolloutTo(cluster, open, targets, {...options, source, files})
    return {...base, dryRun: false, ...result}
  } finally {
    await open.close()
  }
}

/** The rollout `config push` runs, over connections the caller holds (converge shares them with its diff). */
export async function rolloutTo(
  cluster: Cluster,
  open: Connections,
  targets: readonly RolloutTarget[],
  options: Omit<PushOptions, 'dryRun' | 'hosts' | keyof ConnectOptions> & {source: Buffer; files?: BundleFile[]},
): Promise<Awaited<ReturnType<typeof rollout>>> {
  return rollout({
    targets,
    source: options.source,
    connect: (t) => open.connect(t),
    reporter: options.reporter,
    concurrency: options.concurrency,
    maxFailures: options.maxFailures,
    canary: options.canary,
    checkTimeoutMs: cluster.spec.proxy.checkTimeout,
    forceReload: options.forceReload,
    files: options.files,
  })
}

/** `not-loaded`: the live file is the source, but the proxy last loaded another config (a push cut off before its reload). */
export type DiffStatus = 'drift' | 'in-sync' | 'missing' | 'not-loaded' | 'unreachable'

export interface HostDiff {
  host: string
  path: string
  status: DiffStatus
  diff: string
  message?: string
}

export interface DiffReport {
  cluster: string
  source: string
  hosts: HostDiff[]
  inSync: boolean
}

/** Each host's live file against the source, as the unified diff a push would apply. */
export async function diffConfig(cluster: Cluster, options: ConnectOptions & {hosts?: string[]; concurrency?: number}): Promise<DiffReport> {
  const source = await readSource(cluster)
  const targets = await clusterTargets(cluster, options.hosts)
  const open = connections(cluster, options)
  try {
    const hosts = await mapLimit(targets, options.concurrency ?? 10, async (t) => (await diffHost(open, t, source)).diff)
    return {cluster: cluster.spec.cluster, source: displayPath(cluster, cluster.spec.proxy.config), hosts, inSync: hosts.every((h) => h.status === 'in-sync')}
  } finally {
    await open.close()
  }
}

export interface HostDiffState {
  diff: HostDiff
  /**
   * A rollout of hactl has run on the host: it keeps the record of what the
   * proxy loaded (.<file>.hactl-loaded), which only a rollout writes.
   */
  recorded: boolean
}

/** One host's live file against the source: what `config diff` shows for it, and whether a rollout ever ran there. */
export async function diffHost(open: Connections, t: RolloutTarget, source: Buffer): Promise<HostDiffState> {
  const state = await fetchState(open, t).catch((error: Error) => error)
  if (state instanceof Error) return {recorded: false, diff: {host: t.name, path: t.remotePath, status: 'unreachable', diff: '', message: state.message}}
  const {live, loaded, backup} = state
  const recorded = loaded !== undefined
  const result = (diff: HostDiff): HostDiffState => ({diff, recorded})
  const diff = unifiedDiff(`${t.name}:${t.remotePath}`, (live ?? Buffer.alloc(0)).toString('latin1'), source.toString('latin1'))
  if (live === undefined) return result({host: t.name, path: t.remotePath, status: 'missing', diff})
  if (diff !== '') return result({host: t.name, path: t.remotePath, status: 'drift', diff})
  // No record: a file no push of this version installed; its bytes are all there is to go by.
  if (loaded === undefined || loaded === sha256(live)) return result({host: t.name, path: t.remotePath, status: 'in-sync', diff})
  const fromBackup = backup !== undefined && loaded === sha256(backup)
  return result({
    host: t.name,
    path: t.remotePath,
    status: 'not-loaded',
    diff: fromBackup ? unifiedDiff(`${t.name}:${hostPaths(t.remotePath).backup} (loaded)`, backup.toString('latin1'), source.toString('latin1')) : '',
    message: fromBackup
      ? 'the proxy still runs the previous config (the backup): config push reloads it'
      : `the proxy last loaded ${loaded === 'failed' ? 'nothing hactl could confirm (a rollback failed)' : `another config (sha256 ${loaded.slice(0, 12)}…)`}: config push reloads it`,
  })
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The live file, the record of what the proxy loaded, and the backup when the record names another config. */
async function fetchState(open: Connections, target: RolloutTarget): Promise<{live?: Buffer; loaded?: string; backup?: Buffer}> {
  const paths = hostPaths(target.remotePath)
  const transport = await open.connect(target)
  try {
    const [live, record] = await Promise.all([transport.download(paths.live), transport.download(paths.loaded)])
    const loaded = record?.toString('latin1').trim()
    const backup = live && loaded && loaded !== sha256(live) ? await transport.download(paths.backup) : undefined
    return {live, loaded, backup}
  } finally {
    await transport.close()
  }
}

async function fetchLive(open: Connections, target: RolloutTarget): Promise<Buffer | undefined> {
  const transport = await open.connect(target)
  try {
    return await transport.download(target.remotePath)
  } finally {
    await transport.close()
  }
}

export interface PullReport {
  cluster: string
  from: string
  source: string
  changed: boolean
  written: boolean
  diff: string
  /** The source's previous version, kept when it was overwritten. */
  backup?: string
}

/**
 * Fetch one host's live file into the source. `confirm` sees the diff first;
 * nothing is written when it says no, on --dry-run, or when they already match.
 */
export async function pullConfig(
  cluster: Cluster,
  options: ConnectOptions & {from: string; dryRun?: boolean; confirm: (diff: string) => Promise<boolean>},
): Promise<PullReport> {
  const [target] = await clusterTargets(cluster, [options.from])
  const open = connections(cluster, options)
  let live: Buffer | undefined
  try {
    live = await fetchLive(open, target)
  } finally {
    await open.close()
  }
  if (live === undefined) {
    throw new HactlError('remote', ExitCode.unhealthy, `${target.name}: ${target.remotePath} does not exist`, {
      actions: ['Check proxy.remotePath (or the host\'s remotePath) in the cluster file.'],
    })
  }
  const file = cluster.spec.proxy.config
  const source = displayPath(cluster, file)
  const compare = async (): Promise<{base: Omit<PullReport, 'changed' | 'written'>; same: boolean}> => {
    const current = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0)
      throw fileProblem(error, source)
    })
    const diff = unifiedDiff(source, current.toString('latin1'), live.toString('latin1'))
    return {base: {cluster: cluster.spec.cluster, from: target.name, source, diff}, same: current.equals(live)}
  }
  if (options.dryRun) {
    const {base, same} = await compare()
    return {...base, changed: !same, written: false}
  }
  // Like every edit of the source: under its lock, written atomically with its mode kept and the old version as a backup.
  return withFileLock(
    file,
    source,
    async () => {
      const {base, same} = await compare()
      if (same) return {...base, changed: false, written: false}
      if (!(await options.confirm(base.diff))) return {...base, changed: true, written: false}
      const {backup, backedUp} = await writeConfigFile(file, live.toString('latin1'))
      return {...base, changed: true, written: true, ...(backedUp ? {backup: displayPath(cluster, backup)} : {})}
    },
    {mayBeMissing: true, onWait: () => barrier('file-lock.wait')},
  )
}
