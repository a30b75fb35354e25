/**
 * `hactl status`: the whole cluster on one screen — proxies and their health,
 * addresses and their holders, the DNS record against the pool, the backends,
 * what the monitor did last and who holds the lease. It only reads.
 */
import type {Cluster} from '../cluster/loader.js'
import {providerFor} from '../cloud/index.js'
import '../cloud/providers.js'
import {planDns} from '../failover/dns-planner.js'
import {backendTargets} from '../health/check.js'
import type {Health} from '../health/judge.js'
import {clusterJudge} from '../health/judges.js'
import {probeTargets} from '../health/run-probes.js'
import {backendProbeSpec} from '../health/targets.js'
import {leaseFor} from '../monitor/leases.js'
import {readState, stateFilePath, type ActionRecord, type MonitorState} from '../monitor/state.js'
import {monitorProblems} from './status-monitor.js'

export interface StatusReport {
  cluster: string
  provider: string
  topology: string
  proxies: {id: string; name?: string; zone: string; state: string; health: Health; addresses: string[]}[]
  addresses: {publicIp: string; allocationId: string; holder?: string; zone?: string; healthy: boolean}[]
  dns?: {name: string; live: string[]; expected: string[]; missing: string[]; extra: string[]; ok: boolean}
  backends?: {ok: number; failed: number; skipped: number; failing: string[]; note?: string}
  monitor: {stateFile: string; lastRound?: MonitorState['lastRound']; lastActions: ActionRecord[]}
  lease?: {name: string; holder?: string; token?: number; expiresAt?: string; held: boolean; error?: string}
  problems: string[]
  degraded: boolean
}

const SHOW_ACTIONS = 5

export async function clusterStatus(cluster: Cluster, options: {profile?: string; region?: string; backends?: boolean}): Promise<StatusReport> {
  const {spec} = cluster
  const provider = await providerFor(cluster, options)
  const stateFile = stateFilePath(cluster)
  const [proxies, addresses, record, state, backends, lease] = await Promise.all([
    provider.listProxies(),
    provider.listAddresses(),
    spec.dns ? provider.getRecordSet(spec.dns.name) : Promise.resolve(undefined),
    readState(stateFile),
    options.backends === false ? Promise.resolve(undefined) : backendSummary(cluster),
    leaseSummary(cluster, options),
  ])
  const health = await clusterJudge(spec)(proxies)
  const problems: string[] = []

  const proxyRows = proxies.map((p) => ({
    id: p.id,
    ...(p.name ? {name: p.name} : {}),
    zone: p.zone,
    state: p.state,
    health: health[p.id] ?? 'unknown',
    addresses: addresses.filter((a) => a.instanceId === p.id).map((a) => a.publicIp),
  }))
  for (const p of proxyRows) if (p.health !== 'healthy') problems.push(`proxy ${p.name ?? p.id} is ${p.state === 'running' ? p.health : p.state}`)

  const addressRows = addresses.map((a) => {
    const holder = proxies.find((p) => p.id === a.instanceId)
    const healthy = holder !== undefined && health[holder.id] === 'healthy'
    if (!healthy) problems.push(`address ${a.publicIp} is ${holder ? `on ${holder.id}, which is not healthy` : 'not attached to a proxy'}`)
    return {publicIp: a.publicIp, allocationId: a.allocationId, ...(holder ? {holder: holder.id, zone: holder.zone} : {}), healthy}
  })

  let dns: StatusReport['dns']
  if (spec.dns) {
    const plan = planDns(record, addresses, spec.dns)
    dns = {name: spec.dns.name, live: record?.values ?? [], expected: plan.expected?.values ?? [], missing: plan.missing, extra: plan.extra, ok: !plan.drift}
    if (plan.drift) problems.push(`DNS ${spec.dns.name} differs from the pool (missing: ${plan.missing.join(' ') || '-'}; extra: ${plan.extra.join(' ') || '-'})`)
  }
  if (backends && backends.failed > 0) problems.push(`${backends.failed} backend server(s) failing: ${backends.failing.join(', ')}`)
  problems.push(...monitorProblems(spec, state, {proxies, addresses, health}))

  return {
    cluster: spec.cluster,
    provider: spec.provider,
    topology: spec.topology,
    proxies: proxyRows,
    addresses: addressRows,
    ...(dns ? {dns} : {}),
    ...(backends ? {backends} : {}),
    monitor: {stateFile, ...(state.lastRound ? {lastRound: state.lastRound} : {}), lastActions: state.lastActions.slice(-SHOW_ACTIONS)},
    ...(lease ? {lease} : {}),
    problems,
    degraded: problems.length > 0,
  }
}

async function backendSummary(cluster: Cluster): Promise<StatusReport['backends']> {
  const {targets, note} = await backendTargets(cluster).catch((error: Error) => ({targets: [], note: `backends not read: ${error.message}`}))
  const {spec} = cluster
  const probed = await probeTargets(targets, backendProbeSpec(spec.health.proxy, spec.health.backends), spec.health.concurrency)
  const failing = probed.filter((p) => p.result && !p.result.ok).map((p) => p.id)
  return {
    ok: probed.filter((p) => p.result?.ok).length,
    failed: failing.length,
    skipped: probed.filter((p) => !p.result).length,
    failing,
    ...(note ? {note} : {}),
  }
}

async function leaseSummary(cluster: Cluster, options: {profile?: string; region?: string}): Promise<StatusReport['lease']> {
  const settings = await leaseFor(cluster, options)
  if (!settings) return undefined
  try {
    const lease = await settings.store.read(settings.name)
    if (!lease) return {name: settings.name, held: false}
    return {name: settings.name, holder: lease.holder, token: lease.token, expiresAt: new Date(lease.expiresAt).toISOString(), held: lease.expiresAt > Date.now()}
  } catch (error) {
    return {name: settings.name, held: false, error: (error as Error).message}
  }
}
