/**
 * The Elastic IP pool: allocate, list, attach, detach, release, fail over
 * and rebalance. Every mutating call plans its provider operations first, so
 * `--dry-run` shows exactly the calls a real run makes.
 */
import type {Cluster} from '../cluster/loader.js'
import type {ProviderOperation} from '../cloud/operations.js'
import type {ElasticAddress, Provider, ProxyInstance} from '../cloud/provider.js'
import {CloudError, UsageError} from '../errors.js'
import {executeFailover, verifyAssociations, type ExecutedAction} from '../failover/executor.js'
import {withFailoverLock} from '../failover/lock.js'
import {observePool} from '../failover/observe.js'
import {planFailover, planRebalance, type FailoverPlan, type FailoverPolicy, type Health} from '../failover/planner.js'
import type {HealthJudge} from '../health/judge.js'
import {clusterJudge} from '../health/judges.js'
import {pruneState, readState, stateFilePath, stateHistory, writeState, type MonitorState} from '../monitor/state.js'
import {dryRunReport, openProvider, type CloudServiceOptions, type DryRunReport} from './cloud.js'

export interface AddressRow {
  address: string
  allocationId: string
  holder?: string
  zone?: string
  /** Whether the DNS record lists it; undefined when the cluster has no dns section. */
  inDns?: boolean
}

export interface MutationReport {
  /** false when everything already was as asked. */
  changed: boolean
  summary: string
  dryRun?: DryRunReport
}

/** Find a pool address by allocation id or public IP. */
export function findAddress(addresses: ElasticAddress[], ref: string): ElasticAddress {
  const found = addresses.find((a) => a.allocationId === ref || a.publicIp === ref)
  if (!found) {
    throw new UsageError(`${ref} is not an address of this cluster`, {
      actions: [`Addresses of the cluster: ${addresses.map((a) => `${a.publicIp} (${a.allocationId})`).join(', ') || 'none (hactl eip allocate)'}.`],
    })
  }
  return found
}

function findProxy(proxies: ProxyInstance[], ref: string): ProxyInstance {
  const found = proxies.find((p) => p.id === ref || p.name === ref)
  if (!found) {
    throw new UsageError(`${ref} is not a proxy of this cluster`, {
      actions: [`Proxies of the cluster: ${proxies.map((p) => p.id).join(', ') || 'none (hactl proxy launch)'}.`],
    })
  }
  return found
}

async function dnsValues(cluster: Cluster, provider: Provider): Promise<Set<string> | undefined> {
  if (!cluster.spec.dns) return undefined
  const record = await provider.getRecordSet(cluster.spec.dns.name)
  return new Set(record?.values ?? [])
}

export function addressRows(addresses: ElasticAddress[], proxies: ProxyInstance[], inDns?: Set<string>): AddressRow[] {
  return addresses.map((a) => ({
    address: a.publicIp,
    allocationId: a.allocationId,
    ...(a.instanceId ? {holder: a.instanceId} : {}),
    ...(a.instanceId ? {zone: proxies.find((p) => p.id === a.instanceId)?.zone} : {}),
    ...(inDns ? {inDns: inDns.has(a.publicIp)} : {}),
  }))
}

export async function listEips(options: CloudServiceOptions): Promise<AddressRow[]> {
  const provider = await openProvider(options)
  const [addresses, proxies, inDns] = await Promise.all([provider.listAddresses(), provider.listProxies(), dnsValues(options.cluster, provider)])
  return addressRows(addresses, proxies, inDns)
}

/** Run planned operations, or only report them under --dry-run. */
async function apply(provider: Provider, operations: ProviderOperation[], options: CloudServiceOptions, run: () => Promise<void>): Promise<DryRunReport | undefined> {
  if (options.dryRun) return dryRunReport(provider, operations, options.checkPermissions)
  await run()
  return undefined
}

export interface AllocateReport extends MutationReport {
  allocated: ElasticAddress[]
  pool: AddressRow[]
}

/** Bring the pool to `count` addresses (default: addresses.count); never releases. */
export async function allocateEips(options: CloudServiceOptions & {count?: number}): Promise<AllocateReport> {
  const provider = await openProvider(options)
  const target = options.count ?? options.cluster.spec.addresses.count
  const before = await provider.listAddresses()
  const missing = Math.max(0, target - before.length)
  const allocated: ElasticAddress[] = []
  const operations: ProviderOperation[] = Array.from({length: missing}, () => ({op: 'allocateAddress'}))
  const dryRun = await apply(provider, operations, options, async () => {
    for (let i = 0; i < missing; i++) {
      const a = await provider.allocateAddress()
      options.reporter.emit({level: 'info', code: 'eip.allocated', subject: a.publicIp, message: `allocated ${a.allocationId}`})
      allocated.push(a)
    }
  })
  const pool = addressRows([...before, ...allocated], [])
  const summary =
    missing === 0 ? `the pool already has ${before.length} addresses (wanted ${target}): nothing allocated` : `${options.dryRun ? 'would allocate' : 'allocated'} ${missing}; the pool has ${before.length + missing}`
  return {changed: missing > 0 && !options.dryRun, summary, allocated, pool, ...(dryRun ? {dryRun} : {})}
}

export async function attachEip(options: CloudServiceOptions & {eip: string; instance: string}): Promise<MutationReport> {
  const provider = await openProvider(options)
  const [addresses, proxies] = await Promise.all([provider.listAddresses(), provider.listProxies()])
  const address = findAddress(addresses, options.eip)
  const proxy = findProxy(proxies, options.instance)
  if (address.instanceId === proxy.id) return {changed: false, summary: `${address.publicIp} is already on ${proxy.id}`}
  if (proxy.state !== 'running') {
    throw new UsageError(`${proxy.id} is ${proxy.state}: an address attached to it would serve nothing`, {actions: ['Pick a running proxy (hactl proxy list).']})
  }
  const dryRun = await apply(provider, [{op: 'associateAddress', allocationId: address.allocationId, instanceId: proxy.id}], options, async () => {
    await provider.associateAddress(address.allocationId, proxy.id)
    await verified(provider, [{allocationId: address.allocationId, to: proxy.id}], options)
  })
  const verb = options.dryRun ? 'would attach' : 'attached'
  return {changed: !options.dryRun, summary: `${verb} ${address.publicIp} to ${proxy.id} (${proxy.zone})${address.instanceId ? `, moving it off ${address.instanceId}` : ''}`, ...(dryRun ? {dryRun} : {})}
}

async function verified(provider: Provider, moves: {allocationId: string; to: string}[], options: CloudServiceOptions): Promise<void> {
  const {addresses, rounds} = await verifyAssociations(provider, moves, {reporter: options.reporter})
  const missing = moves.filter((m) => addresses.find((a) => a.allocationId === m.allocationId)?.instanceId !== m.to)
  if (missing.length > 0) {
    throw new CloudError(`the association of ${missing.map((m) => m.allocationId).join(', ')} is not visible after ${rounds} describes`, {
      actions: ['Check with `hactl eip list` in a minute; run the command again if it did not take.'],
    })
  }
}

export async function detachEip(options: CloudServiceOptions & {eip: string}): Promise<MutationReport> {
  const provider = await openProvider(options)
  const address = findAddress(await provider.listAddresses(), options.eip)
  if (!address.instanceId) return {changed: false, summary: `${address.publicIp} is not attached`}
  const dryRun = await apply(provider, [{op: 'disassociateAddress', allocationId: address.allocationId}], options, () =>
    provider.disassociateAddress(address.allocationId),
  )
  return {changed: !options.dryRun, summary: `${options.dryRun ? 'would detach' : 'detached'} ${address.publicIp} from ${address.instanceId}`, ...(dryRun ? {dryRun} : {})}
}

export async function releaseEip(options: CloudServiceOptions & {eip: string; force?: boolean}): Promise<MutationReport> {
  const provider = await openProvider(options)
  const addresses = await provider.listAddresses()
  const address = addresses.find((a) => a.allocationId === options.eip || a.publicIp === options.eip)
  if (!address) return {changed: false, summary: `${options.eip} is not (or no longer) an address of this cluster: nothing to release`}
  const inDns = (await dnsValues(options.cluster, provider))?.has(address.publicIp) ?? false
  if (inDns && !options.force) {
    throw new UsageError(`${address.publicIp} is in the DNS record ${options.cluster.spec.dns?.name}: releasing it would send clients to an address that is gone`, {
      actions: ['Lower addresses.count and run `hactl dns publish` after releasing, or pass --force to release it anyway.'],
    })
  }
  const operations: ProviderOperation[] = [
    ...(address.instanceId ? [{op: 'disassociateAddress', allocationId: address.allocationId} as const] : []),
    {op: 'releaseAddress', allocationId: address.allocationId},
  ]
  const dryRun = await apply(provider, operations, options, async () => {
    if (address.instanceId) await provider.disassociateAddress(address.allocationId)
    await provider.releaseAddress(address.allocationId)
  })
  const note = inDns ? '; it is still in the DNS record: run `hactl dns publish`' : ''
  return {changed: !options.dryRun, summary: `${options.dryRun ? 'would release' : 'released'} ${address.publicIp} (${address.allocationId})${note}`, ...(dryRun ? {dryRun} : {})}
}

export interface FailoverOptions extends CloudServiceOptions {
  /** Allocation ids or public IPs; all of the pool when empty. */
  only?: string[]
  to?: string
  judge?: HealthJudge
  verifyTimeoutMs?: number
}

export interface FailoverReport {
  plan: FailoverPlan
  results: ExecutedAction[]
  /** The pool afterwards (as planned, under --dry-run). */
  addresses: AddressRow[]
  /** Every address in scope ends on a healthy proxy. */
  ok: boolean
  changed: boolean
  /** Addresses in scope that are not on a healthy proxy at the end. */
  unhealthy: string[]
  dryRun?: DryRunReport
}

export function policyFor(cluster: Cluster, overrides: Partial<FailoverPolicy> = {}): FailoverPolicy {
  const {failover, topology} = cluster.spec
  if (topology === 'nlb') throw new UsageError('topology nlb has no Elastic IP pool to fail over', {actions: ['Use topology pool or pairs.']})
  return {
    now: Date.now(),
    topology,
    holdDownMs: failover.holdDown,
    maxRemapsPerHour: failover.maxRemapsPerHour,
    rebalance: failover.rebalance,
    remaps: [],
    lostAt: {},
    healthySince: {},
    ...overrides,
  }
}

/** The cluster's health source: `ec2` by the cloud's word, else one round of probes of each proxy. */
export function healthJudge(cluster: Cluster, given?: HealthJudge): HealthJudge {
  return given ?? clusterJudge(cluster.spec)
}

/** Record what was done to the cloud, as the monitor does: issued moves count, verified or not. */
export function recordMoves(state: MonitorState, results: ExecutedAction[], at: number, holdDownMs: number): MonitorState {
  const next: MonitorState = {...state, remaps: [...state.remaps], lostAt: {...state.lostAt}, lastActions: [...state.lastActions]}
  for (const r of results) {
    if (r.action.kind !== 'associate' || (r.outcome !== 'moved' && r.outcome !== 'unverified') || r.detail.startsWith('already')) continue
    // Attaching a free address is not a remap: only a move off a proxy counts against the budget.
    if (r.action.from) {
      next.remaps.push({at, allocationId: r.action.allocationId})
      next.lostAt[r.action.from] = at
    }
    next.lastActions.push({
      round: 'cli',
      at: new Date(at).toISOString(),
      kind: 'associate',
      summary: `${r.action.publicIp}: ${r.action.from ?? '(unattached)'} → ${r.action.to} (${r.action.reason})`,
      outcome: r.outcome === 'moved' ? 'done' : 'failed',
    })
  }
  return pruneState(next, at, holdDownMs)
}

/** Move every address off proxies that are not healthy (`eip failover`). */
export function failoverEips(options: FailoverOptions): Promise<FailoverReport> {
  return runPlanner(options, planFailover)
}

/** One address per healthy proxy, spread over zones (`eip rebalance`). */
export function rebalanceEips(options: FailoverOptions): Promise<FailoverReport> {
  return runPlanner(options, planRebalance)
}

async function runPlanner(options: FailoverOptions, planner: typeof planFailover): Promise<FailoverReport> {
  const provider = await openProvider(options)
  const judge = healthJudge(options.cluster, options.judge)
  const {cluster} = options
  const stateFile = stateFilePath(cluster)
  const work = async (): Promise<FailoverReport> => {
    const state = await readState(stateFile)
    const {error, view} = await observePool(provider, judge)
    if (!view.complete) {
      throw new CloudError(`could not see the whole pool, so nothing was changed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        actions: ['Run the command again; if it keeps failing, run with --verbose.'],
      })
    }
    const only = options.only?.map((ref) => findAddress(view.addresses, ref).allocationId)
    const plan = planner(view, policyFor(cluster, {...stateHistory(state), ...(only && only.length > 0 ? {only} : {}), ...(options.to ? {to: options.to} : {})}))
    const moves = plan.actions.flatMap((a) => (a.kind === 'associate' ? [a] : []))
    if (options.dryRun) {
      const dryRun = await dryRunReport(
        provider,
        moves.map((m) => ({op: 'associateAddress', allocationId: m.allocationId, instanceId: m.to})),
        options.checkPermissions,
      )
      const after = view.addresses.map((a) => ({...a, instanceId: moves.find((m) => m.allocationId === a.allocationId)?.to ?? a.instanceId}))
      return summarize(plan, [], after, view.proxies, view.health, only, dryRun)
    }
    const executed = await executeFailover(plan, provider, {reporter: options.reporter, verifyTimeoutMs: options.verifyTimeoutMs})
    if (executed.results.some((r) => r.action.kind === 'associate')) await writeState(stateFile, recordMoves(state, executed.results, Date.now(), cluster.spec.failover.holdDown))
    const merged = executed.addresses.length > 0 ? executed.addresses : view.addresses
    return summarize(plan, executed.results, merged, view.proxies, view.health, only)
  }
  return options.dryRun ? work() : withFailoverLock(stateFile, work)
}

function summarize(
  plan: FailoverPlan,
  results: ExecutedAction[],
  addresses: ElasticAddress[],
  proxies: ProxyInstance[],
  health: Record<string, Health>,
  only: string[] | undefined,
  dryRun?: DryRunReport,
): FailoverReport {
  const scoped = addresses.filter((a) => !only || only.length === 0 || only.includes(a.allocationId))
  const byId = new Map(proxies.map((p) => [p.id, p]))
  const unhealthy = scoped
    .filter((a) => !a.instanceId || byId.get(a.instanceId)?.state !== 'running' || health[a.instanceId] !== 'healthy')
    .map((a) => a.publicIp)
  return {
    plan,
    results,
    addresses: addressRows(addresses, proxies),
    ok: unhealthy.length === 0,
    changed: results.some((r) => r.outcome === 'moved' && !r.detail.startsWith('already')),
    unhealthy,
    ...(dryRun ? {dryRun} : {}),
  }
}
