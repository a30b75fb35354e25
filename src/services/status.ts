/**
 * `hactl status`: the whole cluster on one screen — proxies and their health,
 * addresses and their holders, the DNS record against the pool, the backends,
 * what the monitor did last and who holds the lease. It only reads.
 */
import {stat} from 'node:fs/promises'

import type {Cluster} from '../cluster/loader.js'
import {dnsProviderOf} from '../cluster/dns.js'
import {openDnsZone} from '../cloud/dns-zones.js'
import {openCloud} from '../cloud/index.js'
import {labelOf, proxyLabels, type Labels} from '../cloud/labels.js'
import type {BalancerView} from '../cloud/capabilities.js'
import {byPair, isMember, MEMBERS_PER_PAIR, pairOf, wantedPairs} from '../cloud/pairs.js'
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {planBalancerDns, planDns} from '../failover/dns-planner.js'
import {recordTargets} from '../cloud/dns-zone.js'
import {backendTargets} from '../health/check.js'
import type {Health} from '../health/judge.js'
import {clusterJudge} from '../health/judges.js'
import {probeTargets} from '../health/run-probes.js'
import {backendProbeSpec} from '../health/targets.js'
import {judgeWithDetail} from '../health/verdicts.js'
import {leaseFor} from '../monitor/leases.js'
import {monitorLockPath} from '../monitor/lock.js'
import {liveHolder} from '../process/lock.js'
import type {Replacement} from '../monitor/replace-plan.js'
import {readState, stateFilePath, type ActionRecord, type MonitorState} from '../monitor/state.js'
import {firewallStatus, type FirewallStatus} from './status-firewall.js'
import {monitorProblems} from './status-monitor.js'
import {leaseState} from './lease.js'
import {listTls} from './tls.js'

export interface StatusReport {
  cluster: string
  provider: string
  topology: string
  /** `state` is what the cloud says; `probe` what the health check saw (they disagree for a crashed proxy). */
  /** `pair`: topology pairs, from the `hactl:pair` tag; rows of one pair are next to each other. */
  /** `target`: topology nlb, its state as the balancer's own checks see it (with the balancer's reason). */
  proxies: {id: string; name?: string; label: string; pair?: string; zone: string; state: string; probe: string; health: Health; addresses: string[]; target?: string}[]
  addresses: {publicIp: string; allocationId: string; pair?: string; holder?: string; holderName?: string; zone?: string; healthy: boolean}[]
  /** `balancer` (topology nlb): the record points at the load balancer; `pool`: it lists the addresses. */
  dns?: {name: string; live: string[]; expected: string[]; missing: string[]; extra: string[]; ok: boolean; points: 'balancer' | 'pool'}
  /** topology nlb: the balancer, where clients reach it and how many of its targets pass its checks. */
  balancer?: {name: string; address?: string; dnsName?: string; ports: number[]; healthy: number; targets: {id: string; label: string; state: string; reason?: string}[]}
  backends?: {ok: number; failed: number; skipped: number; failing: string[]; note?: string}
  /** `hactl firewall audit`, bounded in time; absent when the cluster file has no firewall policy. */
  firewall?: FirewallStatus
  monitor: MonitorSummary
  lease?: {name: string; holder?: string; token?: number; expiresAt?: string; held: boolean; released: boolean; error?: string}
  /** The monitor's last comparison of live configs with the source (proxy.converge); absent before its first. */
  converge?: ConvergeSummary
  /** The certificates beside the config source (hactl-tls/) and when each expires. */
  certificates?: {name: string; hosts: string[]; notAfter?: string; daysLeft?: number}[]
  problems: string[]
  degraded: boolean
}

export interface ConvergeSummary {
  checkedAt?: string
  mode: 'all' | 'new' | 'off'
  /** Proxies whose live config differs from the source, as the monitor last saw them. */
  drift: {id: string; label: string; summary: string; since: string}[]
  /** Proxies never given the source config: no address goes to them. */
  unpushed: {id: string; label: string}[]
}

export interface MonitorSummary {
  stateFile: string
  lastRound?: MonitorState['lastRound']
  lastActions: ActionRecord[]
  /** Since the monitor last wrote its state. */
  ageMs?: number
  /** The round interval it runs at (as recorded, else health.proxy.interval). */
  intervalMs: number
  /** The last run was `--once` (cron): no round is due until the next run. */
  once: boolean
  /** A looping monitor whose last round is older than three intervals and whose run lock went stale: nobody is watching. */
  stopped: boolean
  /** failover.replace: the replacements in flight, each with its step. */
  replacing?: Replacement[]
}

const SHOW_ACTIONS = 5
/** Rounds a looping monitor may miss before status says it is not running. */
const MISSED_ROUNDS = 3

export async function clusterStatus(cluster: Cluster, options: {backends?: boolean; firewall?: boolean}): Promise<StatusReport> {
  const {spec} = cluster
  const cloud = await openCloud(cluster)
  const stateFile = stateFilePath(cluster)
  const [proxies, addresses, record, state, backends, lease, firewall, view] = await Promise.all([
    cloud.hosts.listProxies(),
    // A cluster without an address pool (static hosts) shows its proxies only.
    cloud.addresses?.listAddresses() ?? [],
    spec.dns && dnsProviderOf(spec) ? openDnsZone(cluster).then(async (zone) => ({zone, set: await zone.getRecordSet(spec.dns?.name ?? '')})) : Promise.resolve(undefined),
    readState(stateFile),
    options.backends === false ? Promise.resolve(undefined) : backendSummary(cluster),
    leaseSummary(cluster),
    options.firewall === false ? Promise.resolve(undefined) : firewallStatus(cluster),
    cloud.balancer?.describeBalancer(),
  ])
  const certificates = await certificateSummary(cluster)
  const verdicts = await judgeWithDetail(clusterJudge(spec), proxies)
  const labels = proxyLabels(proxies)
  const problems: string[] = []

  const proxyRows = byPair(proxies).map((p) => ({
    id: p.id,
    ...(p.name ? {name: p.name} : {}),
    label: labelOf(labels, p.id) as string,
    ...(pairOf(p) ? {pair: pairOf(p)} : {}),
    zone: p.zone,
    state: p.state,
    probe: verdicts[p.id]?.detail ?? '-',
    health: verdicts[p.id]?.health ?? 'unknown',
    addresses: addresses.filter((a) => a.instanceId === p.id).map((a) => a.publicIp),
    ...(cloud.balancer ? {target: targetText(view, p.id)} : {}),
  }))
  for (const p of proxyRows) {
    if (p.health === 'healthy') continue
    problems.push(p.state === 'running' ? `proxy ${p.label} is ${p.health}: the cloud says running, the probe saw ${p.probe}` : `proxy ${p.label} is ${p.state}`)
  }

  const addressRows = byPair(addresses).map((a) => {
    const holder = proxies.find((p) => p.id === a.instanceId)
    const healthy = holder !== undefined && verdicts[holder.id]?.health === 'healthy'
    if (!healthy) problems.push(`address ${a.publicIp} is ${holder ? `on ${labelOf(labels, holder.id)}, which is not healthy` : 'not attached to a proxy'}`)
    const pair = pairOf(a)
    return {publicIp: a.publicIp, allocationId: a.allocationId, ...(pair ? {pair} : {}), ...(holder ? {holder: holder.id, holderName: labelOf(labels, holder.id), zone: holder.zone} : {}), healthy}
  })
  if (spec.topology === 'pairs') problems.push(...pairProblems(spec.addresses.count, proxies, addresses, labels))
  const balancer = cloud.balancer ? balancerSummary(view, proxies, labels, problems) : undefined

  let dns: StatusReport['dns']
  if (spec.dns && dnsProviderOf(spec)) {
    // topology nlb: the record points at the balancer (an alias, an A record to its address, or a CNAME), not at a pool.
    const nlb = spec.topology === 'nlb' && cloud.balancer !== undefined
    const plan = nlb ? planBalancerDns(record?.set, view, spec.dns, record?.zone ?? {}) : planDns(record?.set, addresses, spec.dns)
    dns = {name: spec.dns.name, live: recordTargets(record?.set), expected: recordTargets(plan.expected), missing: plan.missing, extra: plan.extra, ok: !plan.drift, points: nlb ? 'balancer' : 'pool'}
    if (plan.drift) problems.push(`DNS ${spec.dns.name} differs from the ${nlb ? 'balancer' : 'pool'} (missing: ${plan.missing.join(' ') || '-'}; extra: ${plan.extra.join(' ') || '-'}): \`hactl dns publish\` writes it`)
  }
  if (backends && backends.failed > 0) problems.push(`${backends.failed} backend server(s) failing: ${backends.failing.join(', ')}`)
  if (firewall?.state === 'findings') problems.push(`firewall: ${firewall.findings} finding${firewall.findings === 1 ? '' : 's'} (hactl firewall audit)`)
  const health = Object.fromEntries(Object.entries(verdicts).map(([id, v]) => [id, v.health]))
  problems.push(...monitorProblems(spec, state, {proxies, addresses, health}))
  for (const c of certificates ?? []) {
    if (c.daysLeft === undefined) problems.push(`certificate ${c.name}: its file hactl-tls/${c.name}.pem cannot be read`)
    else if (c.daysLeft < 0) problems.push(`certificate ${c.name} expired on ${c.notAfter}`)
    else if (c.daysLeft < spec.tls.warnDays) problems.push(`certificate ${c.name} expires in ${c.daysLeft} days (${c.notAfter}; tls.warnDays ${spec.tls.warnDays}): renew it and run tls add again`)
  }
  const monitor = await monitorSummary(stateFile, state, spec.health.proxy.interval)
  const converge = convergeSummary(state, proxies, labels, spec.proxy.converge)
  for (const d of converge?.drift ?? []) {
    const then = spec.proxy.converge === 'all' ? 'the monitor pushes the source back (proxy.converge: all)' : '`hactl config diff` shows it, `hactl config push` puts the source back'
    problems.push(`proxy ${d.label} drifts from the source config since ${d.since} (${d.summary}): ${then}`)
  }
  for (const u of converge?.unpushed ?? []) problems.push(`proxy ${u.label} never got the source config: no address goes to it until \`hactl config push --hosts ${u.label}\` succeeds`)
  if (monitor.stopped) problems.push(`monitor not running (last round ${seconds(monitor.ageMs ?? 0)} s ago, a round is due every ${seconds(monitor.intervalMs)} s): nothing moves addresses off a failed proxy`)

  return {
    cluster: spec.cluster,
    provider: spec.provider,
    topology: spec.topology,
    proxies: proxyRows,
    addresses: addressRows,
    ...(dns ? {dns} : {}),
    ...(balancer ? {balancer} : {}),
    ...(backends ? {backends} : {}),
    ...(firewall ? {firewall} : {}),
    monitor,
    ...(lease ? {lease} : {}),
    ...(certificates && certificates.length > 0 ? {certificates} : {}),
    ...(converge ? {converge} : {}),
    problems,
    degraded: problems.length > 0,
  }
}

function targetText(view: BalancerView | undefined, id: string): string {
  const found = view?.targets.find((t) => t.instanceId === id)
  return found ? `${found.state}${found.reason ? ` (${found.reason})` : ''}` : 'not registered'
}

/** topology nlb: the balancer's own view of its targets; a proxy it sends nothing to is a problem. */
function balancerSummary(view: BalancerView | undefined, proxies: ProxyInstance[], labels: Labels, problems: string[]): StatusReport['balancer'] {
  if (!view) {
    problems.push('the balancer does not exist: `hactl proxy launch` makes it')
    return undefined
  }
  const targets = view.targets.map((t) => ({id: t.instanceId, label: labelOf(labels, t.instanceId) ?? t.instanceId, state: t.state, ...(t.reason ? {reason: t.reason} : {})}))
  const healthy = targets.filter((t) => t.state === 'healthy').length
  for (const t of targets) {
    if (t.state === 'unhealthy' || t.state === 'unavailable') problems.push(`target ${t.label} is ${t.state} to the balancer${t.reason ? ` (${t.reason})` : ''}: it gets no new connections`)
  }
  for (const p of proxies) {
    if (!view.targets.some((t) => t.instanceId === p.id)) problems.push(`proxy ${labelOf(labels, p.id)} is not a target of the balancer: it gets no traffic`)
  }
  if (healthy === 0) problems.push('no target of the balancer is healthy')
  return {name: view.name, ...(view.address ? {address: view.address} : {}), ...(view.dnsName ? {dnsName: view.dnsName} : {}), ports: view.ports, healthy, targets}
}

/** What keeps the pairs from being whole: members missing, a proxy or address in no pair, an address outside its pair. */
export function pairProblems(count: number, proxies: ProxyInstance[], addresses: ElasticAddress[], labels: Labels): string[] {
  const problems: string[] = []
  const name = (p: ProxyInstance): string => labelOf(labels, p.id) as string
  for (const pair of wantedPairs(count)) {
    const members = proxies.filter((p) => pairOf(p) === pair && isMember(p))
    if (members.length < MEMBERS_PER_PAIR) {
      problems.push(`${pair} has ${members.length === 0 ? 'no member' : `one member (${members.map(name).join(', ')})`}: \`hactl proxy launch\` launches ${members.length === 0 ? 'them' : 'the other'}`)
    }
    if (!addresses.some((a) => pairOf(a) === pair)) problems.push(`${pair} has no address: \`hactl eip allocate\` gives it one`)
  }
  for (const p of proxies) if (!pairOf(p)) problems.push(`proxy ${name(p)} is in no pair (no hactl:pair tag): \`hactl proxy launch\` puts it in one that misses a member`)
  for (const a of addresses) {
    const pair = pairOf(a)
    if (!pair) {
      problems.push(`address ${a.publicIp} is in no pair (no hactl:pair tag): \`hactl eip allocate\` gives it to a pair without an address`)
      continue
    }
    const holder = proxies.find((p) => p.id === a.instanceId)
    if (holder && pairOf(holder) !== pair) problems.push(`address ${a.publicIp} of ${pair} is on ${name(holder)}, which is ${pairOf(holder) ? `in ${pairOf(holder)}` : 'in no pair'}: \`hactl eip failover\` moves it back`)
  }
  return problems
}

/** What the monitor recorded of drift, for the proxies the cloud lists now. */
function convergeSummary(state: MonitorState, proxies: ProxyInstance[], labels: Labels, mode: 'all' | 'new' | 'off'): ConvergeSummary | undefined {
  const c = state.converge
  if (!c || mode === 'off') return undefined
  const now = new Set(proxies.map((p) => p.id))
  return {
    ...(c.checkedAt !== undefined ? {checkedAt: new Date(c.checkedAt).toISOString()} : {}),
    mode,
    drift: Object.entries(c.drift)
      .filter(([id]) => now.has(id))
      .map(([id, d]) => ({id, label: labelOf(labels, id) as string, summary: d.summary, since: new Date(d.since).toISOString()})),
    unpushed: c.unpushed.filter((id) => now.has(id)).map((id) => ({id, label: labelOf(labels, id) as string})),
  }
}

export function seconds(ms: number): string {
  return ms >= 10_000 ? String(Math.round(ms / 1000)) : (ms / 1000).toFixed(1)
}

/**
 * What the monitor last did and whether it still runs. The state file is
 * written after every round, so its age (or the last round's start, if later)
 * says when the monitor was last seen.
 */
async function monitorSummary(stateFile: string, state: MonitorState, specIntervalMs: number, now = Date.now()): Promise<MonitorSummary> {
  const intervalMs = state.run?.intervalMs ?? specIntervalMs
  const once = state.run?.once ?? false
  const replacing = state.replace?.inFlight ?? []
  const base = {stateFile, lastActions: state.lastActions.slice(-SHOW_ACTIONS), intervalMs, once, ...(replacing.length > 0 ? {replacing} : {})}
  if (!state.lastRound) return {...base, stopped: false}
  const written = await stat(stateFile).then(
    (s) => s.mtimeMs,
    () => 0,
  )
  const ageMs = Math.max(0, now - Math.max(written, Date.parse(state.lastRound.at) || 0))
  // A round can outlast three intervals (a move waits to be verified): a monitor that still holds its run lock is alive.
  const alive = (await liveHolder(monitorLockPath(stateFile))) !== undefined
  return {...base, lastRound: state.lastRound, ageMs, stopped: !once && !alive && ageMs > MISSED_ROUNDS * intervalMs}
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

async function leaseSummary(cluster: Cluster): Promise<StatusReport['lease']> {
  const settings = await leaseFor(cluster)
  if (!settings) return undefined
  try {
    const lease = leaseState(await settings.store.read(settings.name), Date.now())
    return {name: settings.name, ...lease, released: lease.state === 'released'}
  } catch (error) {
    return {name: settings.name, held: false, released: false, error: (error as Error).message}
  }
}

/** From the source alone (no connection): what `tls check` would say about expiry. A config that cannot be read says nothing here. */
async function certificateSummary(cluster: Cluster): Promise<StatusReport['certificates']> {
  try {
    const listing = await listTls({cluster, engine: cluster.spec.proxy.engine})
    return listing.certificates.map((c) => ({name: c.name, hosts: c.hosts, notAfter: c.notAfter, daysLeft: c.daysLeft}))
  } catch {
    return undefined
  }
}
