/**
 * `hactl health check`: every proxy on its private address, every address
 * from outside (its public IP), every backend server of the config source.
 * With `health.proxy.type: ec2` nothing is probed: proxies are judged by the
 * cloud's word and each address by its holder's.
 */
import {readFile} from 'node:fs/promises'

import type {Cluster} from '../cluster/loader.js'
import {need, type Cloud} from '../cloud/capabilities.js'
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {isHactlError} from '../errors.js'
import {loadEngine} from '../proxy-config/registry.js'
import '../proxy-config/engines.js'
import {ec2Health} from './judge.js'
import {probeTargets, type ProbedTarget} from './run-probes.js'
import {backendProbeSpec, type Target, type TargetKind} from './targets.js'

export const CHECK_TARGETS = ['proxies', 'addresses', 'backends', 'all'] as const
export type CheckTarget = (typeof CHECK_TARGETS)[number]

export interface HealthRow {
  target: string
  kind: TargetKind
  /** How it was judged: http, https, tcp, ec2. */
  probe: string
  result: 'fail' | 'ok' | 'skip'
  latencyMs?: number
  detail: string
  /** topology nlb: the proxy as a target of the balancer, by the balancer's own checks (`healthy`, `unhealthy (Target.Timeout)`, …). */
  balancer?: string
}

export interface HealthReport {
  rows: HealthRow[]
  ok: number
  failed: number
  skipped: number
  notes: string[]
  /** topology nlb: targets the balancer calls unhealthy (counted in `failed`: it sends them no traffic). */
  unhealthyTargets?: string[]
}

function row(probed: ProbedTarget): HealthRow {
  if (!probed.result) return {target: probed.label, kind: probed.kind, probe: probed.probe, result: 'skip', detail: 'no address to probe'}
  return {target: probed.label, kind: probed.kind, probe: probed.probe, result: probed.result.ok ? 'ok' : 'fail', latencyMs: probed.result.latencyMs, detail: probed.result.detail}
}

function proxyLabel(p: ProxyInstance): string {
  return p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id
}

function ec2Rows(proxies: ProxyInstance[], addresses: ElasticAddress[] | undefined): HealthRow[] {
  const rows: HealthRow[] = proxies.map((p) => {
    const health = ec2Health(p)
    const detail = `${p.state}${p.statusOk === undefined ? '' : p.statusOk ? ', status checks ok' : ', status checks failing'}`
    return {target: proxyLabel(p), kind: 'proxy', probe: 'ec2', result: health === 'healthy' ? 'ok' : health === 'unknown' ? 'skip' : 'fail', detail}
  })
  for (const a of addresses ?? []) {
    const holder = proxies.find((p) => p.id === a.instanceId)
    const health = holder ? ec2Health(holder) : 'unhealthy'
    rows.push({target: a.publicIp, kind: 'address', probe: 'ec2', result: health === 'healthy' ? 'ok' : health === 'unknown' ? 'skip' : 'fail', detail: holder ? `on ${holder.id} (${health})` : 'not attached to a proxy'})
  }
  return rows
}

/** The backend servers of the config source, as the engine reads them. */
export async function backendTargets(cluster: Cluster): Promise<{targets: Target[]; note?: string}> {
  let engine
  try {
    engine = await loadEngine(cluster.spec.proxy.engine)
  } catch {
    return {targets: [], note: `backends skipped: the ${cluster.spec.proxy.engine} engine is not in this build`}
  }
  const text = await readFile(cluster.spec.proxy.config, 'latin1')
  const doc = engine.parse(text, cluster.spec.proxy.config)
  const targets: Target[] = []
  for (const backend of engine.listBackends(doc)) {
    for (const server of backend.servers) {
      const port = server.port ?? cluster.spec.backends[backend.name]?.port
      targets.push({id: `${backend.name}/${server.name}`, kind: 'backend', address: port === undefined ? undefined : server.address, port, label: `${backend.name}/${server.name} ${server.address}${port === undefined ? '' : `:${port}`}`})
    }
  }
  return {targets}
}

export async function checkHealth(cluster: Cluster, open: () => Promise<Cloud>, target: CheckTarget): Promise<HealthReport> {
  const {spec} = cluster
  const want = (t: CheckTarget): boolean => target === 'all' || target === t
  const rows: HealthRow[] = []
  const notes: string[] = []
  const unhealthyTargets: string[] = []
  const cloud = want('proxies') || want('addresses') ? await open().catch((error: unknown) => {
    // A build without this cluster's provider can still check the backends.
    if (isHactlError(error) && error.code === 'usage' && target === 'all') return undefined
    throw error
  }) : undefined
  if (cloud) {
    // Asked for by name, a missing address pool is an error (exit 2); within `all` it is a note.
    // topology nlb: the balancer is the one address clients reach, probed from outside as an Elastic IP is.
    const pool = target === 'addresses' && !cloud.balancer ? need(cloud, 'addresses') : want('addresses') ? cloud.addresses : undefined
    if (want('addresses') && !pool && !cloud.balancer) notes.push(`addresses skipped: provider ${cloud.kind} has no address pool`)
    const [proxies, pooled, view] = await Promise.all([cloud.hosts.listProxies(), pool ? pool.listAddresses() : Promise.resolve(undefined), cloud.balancer?.describeBalancer()])
    const addresses = view?.address && want('addresses') ? [...(pooled ?? []), {allocationId: view.name, publicIp: view.address, tags: {}}] : pooled
    if (spec.health.proxy.type === 'ec2') {
      rows.push(...ec2Rows(want('proxies') ? proxies : [], addresses).filter((r) => r.kind === 'address' || want('proxies')))
    } else {
      const targets: Target[] = []
      if (want('proxies')) targets.push(...proxies.map((p) => ({id: p.id, kind: 'proxy' as const, address: p.state === 'running' ? p.privateAddress : undefined, label: proxyLabel(p)})))
      for (const a of addresses ?? []) targets.push({id: a.allocationId, kind: 'address', address: a.publicIp, label: a.publicIp})
      rows.push(...(await probeTargets(targets, spec.health.proxy, spec.health.concurrency)).map(row))
    }
  } else if (want('proxies') || want('addresses')) {
    notes.push(`proxies and addresses skipped: provider ${spec.provider} is not in this build`)
  }
  if (cloud?.balancer) {
    const view = await cloud.balancer.describeBalancer()
    const proxies = await cloud.hosts.listProxies()
    if (!view) notes.push('the balancer does not exist yet: `hactl proxy launch` makes it')
    for (const r of rows) {
      if (r.kind !== 'proxy') continue
      const proxy = proxies.find((p) => r.target === proxyLabel(p))
      const found = view?.targets.find((t) => t.instanceId === proxy?.id)
      r.balancer = found ? `${found.state}${found.reason ? ` (${found.reason})` : ''}` : 'not registered'
      if (found?.state === 'unhealthy') unhealthyTargets.push(r.target)
    }
  }
  if (want('backends')) {
    const {targets, note} = await backendTargets(cluster)
    if (note) notes.push(note)
    rows.push(...(await probeTargets(targets, backendProbeSpec(spec.health.proxy, spec.health.backends), spec.health.concurrency)).map(row))
  }
  return {
    rows,
    ok: rows.filter((r) => r.result === 'ok').length,
    failed: rows.filter((r) => r.result === 'fail' || (r.result === 'ok' && unhealthyTargets.includes(r.target))).length,
    skipped: rows.filter((r) => r.result === 'skip').length,
    notes,
    ...(cloud?.balancer ? {unhealthyTargets} : {}),
  }
}
