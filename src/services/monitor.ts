import {createWriteStream} from 'node:fs'

import {dnsProviderOf} from '../cluster/dns.js'
import type {Cluster} from '../cluster/loader.js'
import {poolOf, type Cloud, type PoolCloud} from '../cloud/capabilities.js'
import {openDnsZone} from '../cloud/dns-zones.js'
import {openCloud} from '../cloud/index.js'
import {nameInstances, proxyLabels, type Labels} from '../cloud/labels.js'
import {UsageError} from '../errors.js'
import type {HealthJudge} from '../health/judge.js'
import {answeredFailures, clusterJudge, type ProbeJudge} from '../health/judges.js'
import {humanEventLog, jsonEventLog, teeLog, type RoundLog} from '../monitor/events.js'
import {LeaseKeeper} from '../monitor/lease.js'
import {holderId, leaseFor} from '../monitor/leases.js'
import {runMonitor, type MonitorResult} from '../monitor/loop.js'
import {executorRunner, type ActionRunner} from '../monitor/actions.js'
import type {MonitorSettings} from '../monitor/round.js'
import type {SourceCertificate} from '../monitor/certificates.js'
import {stateFilePath} from '../monitor/state.js'
import {replaceDeps} from './replace.js'
import {ConvergeWorker, type ConvergeRunner} from '../monitor/converge.js'
import type {Reporter} from '../events.js'
import {listTls} from './tls.js'

export interface MonitorCommandOptions {
  once: boolean
  /** Round interval; the cluster file's `health.proxy.interval` when absent. */
  intervalMs?: number
  wait: boolean
  /** JSON lines go here; stdout otherwise. */
  logFile?: string
  /** stdout is a terminal: human lines there instead of JSON. */
  tty: boolean
  /** --json: JSON lines on stdout even on a terminal. */
  json?: boolean
  verbose: boolean
  signal?: AbortSignal
  /** One round that plans and moves nothing, publishes nothing, and keeps the state file as it was. */
  dryRun?: boolean
}

export interface MonitorReport {
  rounds: number
  stateFile: string
  /** Another monitor held the lease and actions were left to it. */
  standby: boolean
  degraded: boolean
  last?: MonitorResult['last']
}

export function monitorSettings(cluster: Cluster): MonitorSettings {
  const {spec} = cluster
  if (spec.topology === 'nlb') {
    throw new UsageError('the monitor moves addresses: topology nlb has none to move', {
      actions: ['Use topology pool or pairs, or let the load balancer check its targets.'],
    })
  }
  return {
    topology: spec.topology,
    rise: spec.health.proxy.rise,
    fall: spec.health.proxy.fall,
    holdDownMs: spec.failover.holdDown,
    maxRemapsPerHour: spec.failover.maxRemapsPerHour,
    rebalance: spec.failover.rebalance,
    // The ec2 judge is the cloud's word, not what this machine can reach: nothing to doubt.
    suspectGuard: spec.health.proxy.type !== 'ec2',
    ...(spec.dns ? {dns: {name: spec.dns.name, ttl: spec.dns.ttl}} : {}),
    tlsWarnDays: spec.tls.warnDays,
    ...(spec.failover.replace
      ? {replace: {afterMs: spec.failover.replace.after, wanted: spec.topology === 'pairs' ? spec.addresses.count * 2 : spec.proxy.instances.count}}
      : {}),
  }
}

/** How long the loop trusts its last read of the source's certificates: expiry moves by days, rounds by seconds. */
const CERTIFICATES_TTL_MS = 10 * 60_000

/**
 * The source config's certificates, as `status` reads them (no connection),
 * read again at most every ten minutes. A source that cannot be read has
 * none: the config's own errors are `validate`'s and `status`'s to report.
 */
export function sourceCertificates(cluster: Cluster, clock: () => number = Date.now): () => Promise<readonly SourceCertificate[]> {
  let last: {at: number; certificates: SourceCertificate[]} | undefined
  return async () => {
    if (last && clock() - last.at < CERTIFICATES_TTL_MS) return last.certificates
    const certificates = await listTls({cluster, engine: cluster.spec.proxy.engine}).then(
      (listing) => listing.certificates.map((c) => ({name: c.name, ...(c.notAfter ? {notAfter: c.notAfter} : {})})),
      () => [],
    )
    last = {at: clock(), certificates}
    return certificates
  }
}

/** --dry-run: the planned moves are reported and left undone. */
const planOnly: ActionRunner = async (actions) => actions.map((action) => ({action, outcome: 'skipped', detail: 'dry run: not moved'}))

/**
 * JSON lines off a terminal, under --json and in the log file; readable lines
 * on a terminal, naming proxies by the names of the latest describe.
 */
function eventLog(options: MonitorCommandOptions, labels: () => Labels): RoundLog {
  const human = (): RoundLog => humanEventLog(process.stdout, {verbose: options.verbose, name: (text) => nameInstances(text, labels())})
  const readable = options.tty && !options.json
  if (options.logFile) {
    const file = jsonEventLog(createWriteStream(options.logFile, {flags: 'a'}), {verbose: options.verbose})
    return readable ? teeLog(file, human()) : file
  }
  return readable ? human() : jsonEventLog(process.stdout, {verbose: options.verbose})
}

/**
 * What the rounds work on: the pool (a cluster without one is refused, exit 2).
 * Every describe of the proxies tells `seen` their names, so lines can use them.
 */
function monitorCloud(cloud: Cloud, seen: (labels: Labels) => void): PoolCloud {
  const pool = poolOf(cloud)
  return {
    ...pool,
    async listProxies() {
      const proxies = await pool.listProxies()
      seen(proxyLabels(proxies))
      return proxies
    },
  }
}

/** With --verbose, each failed probe and what it saw: a timeout on a busy machine reads differently from a refusal. */
function reportingJudge(judge: HealthJudge, log: RoundLog): HealthJudge {
  if (!('last' in judge)) return judge
  const probing = judge as ProbeJudge
  return async (proxies) => {
    const health = await probing(proxies)
    for (const probed of probing.last) {
      if (probed.result && !probed.result.ok) {
        log.emit({level: 'debug', code: 'health.probe', subject: probed.id, message: `${probed.label}: ${probed.result.detail} (${probed.result.latencyMs} ms)`, data: {...probed.result}})
      }
    }
    return health
  }
}

/**
 * The monitor's converge runner: the converge service, its own event lines
 * left out (the monitor says each drift once, not every interval).
 */
function convergeWorker(cluster: Cluster, options: {once: boolean; dryRun: boolean; log: RoundLog}): ConvergeWorker {
  const {proxy} = cluster.spec
  const configured = proxy.converge === 'all' ? 'all' : 'new'
  const quiet: Reporter = {emit: (event) => (event.code.startsWith('converge.') ? undefined : options.log.emit(event))}
  const run: ConvergeRunner = async (proxies, mode) => {
    const {convergeProxies} = await import('./converge.js')
    const report = await convergeProxies(cluster, proxies, {mode, reporter: quiet, dryRun: options.dryRun})
    return report.hosts
  }
  return new ConvergeWorker({mode: configured, intervalMs: proxy.convergeInterval, wait: options.once || options.dryRun}, run)
}

/** Watch the cluster: one round, or rounds until the signal; see src/monitor/. */
export async function monitorCluster(cluster: Cluster, options: MonitorCommandOptions): Promise<MonitorReport> {
  const {dryRun = false} = options
  if (cluster.spec.topology === 'nlb') {
    const {monitorNlb} = await import('./monitor-nlb.js')
    const cloud = await openCloud(cluster)
    const intervalMs = options.intervalMs ?? cluster.spec.health.proxy.interval
    const result = await monitorNlb(cluster, cloud, {once: options.once, intervalMs, dryRun, signal: options.signal, log: eventLog(options, () => new Map())})
    return {rounds: result.rounds, stateFile: stateFilePath(cluster), standby: false, degraded: result.degraded}
  }
  const settings = monitorSettings(cluster)
  let labels: Labels = new Map()
  const cloud = await openCloud(cluster)
  const provider = monitorCloud(cloud, (seen) => (labels = seen))
  // failover.replace needs a cloud that launches proxies: asked for up front, so a static cluster is told at once (exit 2).
  const replace = settings.replace ? replaceDeps(cluster, cloud) : undefined
  const dns = settings.dns && !dryRun && dnsProviderOf(cluster.spec) ? await openDnsZone(cluster) : undefined
  const lease = dryRun ? undefined : await leaseFor(cluster)
  const stateFile = stateFilePath(cluster)
  const log = eventLog(options, () => labels)
  const judge = clusterJudge(cluster.spec)
  const converge = cluster.spec.proxy.converge === 'off' ? undefined : convergeWorker(cluster, {once: options.once, dryRun, log})
  const result = await runMonitor(
    {once: options.once || dryRun, readOnly: dryRun, intervalMs: options.intervalMs ?? cluster.spec.health.proxy.interval, stateFile, wait: options.wait, signal: options.signal},
    dryRun ? {...settings, dns: undefined} : settings,
    {
      provider,
      ...(dns ? {dns} : {}),
      judge: options.verbose ? reportingJudge(judge, log) : judge,
      answered: () => answeredFailures(judge),
      // No lock around the moves: the monitor holds the state file's lock for its whole run, and that is
      // the lock `eip failover` takes, so an operator's move and the monitor's never cross.
      run: dryRun ? planOnly : executorRunner(provider),
      log,
      certificates: sourceCertificates(cluster),
      ...(replace && !dryRun ? {replace} : {}),
      ...(converge ? {converge} : {}),
      ...(lease ? {lease: new LeaseKeeper(lease.store, lease.name, holderId(stateFile), lease.ttlMs)} : {}),
    },
  )
  await converge?.settle()
  const standby = Boolean(result.last?.standby && result.last.planned > 0)
  return {rounds: result.rounds, stateFile, standby, degraded: result.degraded, last: result.last}
}
