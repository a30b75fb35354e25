/**
 * The Elastic IP pool: allocate, list, attach, detach, release, fail over
 * and rebalance. Every mutating call plans its provider operations first, so
 * `--dry-run` shows exactly the calls a real run makes.
 */
import type {Cluster} from '../cluster/loader.js'
import type {DnsZone} from '../cloud/dns-zone.js'
import type {ProviderOperation} from '../cloud/operations.js'
import {labelOf, nameInstances, proxyLabels, type Labels} from '../cloud/labels.js'
import {poolOf, type Cloud, type PoolCloud} from '../cloud/capabilities.js'
import {byPair, pairOf, planPairAddresses, type PairAddressPlan} from '../cloud/pairs.js'
import type {ElasticAddress, ProxyInstance} from '../cloud/provider.js'
import {runOperations, type OperationHooks} from '../cloud/run-operation.js'
import {TAG} from '../cloud/tags.js'
import {CloudError, UsageError} from '../errors.js'
import {barrier} from '../failover/barrier.js'
import {absoluteName} from '../cloud/dns-name.js'
import {executeFailover, issued, moveOperation, verifyAssociations, type ExecutedAction} from '../failover/executor.js'
import {withFailoverLock} from '../failover/lock.js'
import {observePool} from '../failover/observe.js'
import {isHealthyNow, planFailover, planRebalance, type FailoverPlan, type FailoverPolicy, type Health} from '../failover/planner.js'
import type {HealthJudge} from '../health/judge.js'
import {clusterJudge} from '../health/judges.js'
import {judgeWithDetail, verdictsOf, type Verdict} from '../health/verdicts.js'
import {countRemaps, pruneState, readState, stateFilePath, stateHistory, writeState, type ActionRecord, type MonitorState} from '../monitor/state.js'
import type {Reporter} from '../events.js'
import {clusterCloud, dryRunReport, type CloudServiceOptions, type DryRunReport} from './cloud.js'
import {announcePublish, confirmPublished, openZone, publishPool, type DnsServiceOptions, type PoolPublish} from './dns.js'

export interface AddressRow {
  address: string
  allocationId: string
  /** topology pairs: the pair it belongs to (`hactl:pair`). */
  pair?: string
  holder?: string
  /** The holder as a person knows it (its name; with the id where two share it). */
  holderName?: string
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
      actions: [`Proxies of the cluster: ${proxies.map((p) => (p.name ? `${p.name} (${p.id})` : p.id)).join(', ') || 'none (hactl proxy launch)'}.`],
    })
  }
  return found
}

async function dnsValues(options: DnsServiceOptions): Promise<Set<string> | undefined> {
  const {dns} = options.cluster.spec
  if (!dns) return undefined
  const record = await (await openZone(options)).getRecordSet(dns.name)
  return new Set(record?.values ?? [])
}

export function addressRows(addresses: ElasticAddress[], proxies: ProxyInstance[], inDns?: Set<string>): AddressRow[] {
  const labels = proxyLabels(proxies)
  return byPair(addresses).map((a) => ({
    address: a.publicIp,
    allocationId: a.allocationId,
    ...(pairOf(a) ? {pair: pairOf(a)} : {}),
    ...(a.instanceId ? {holder: a.instanceId, holderName: labelOf(labels, a.instanceId)} : {}),
    ...(a.instanceId ? {zone: proxies.find((p) => p.id === a.instanceId)?.zone} : {}),
    ...(inDns ? {inDns: inDns.has(a.publicIp)} : {}),
  }))
}

export async function listEips(options: CloudServiceOptions): Promise<AddressRow[]> {
  const cloud = await clusterCloud(options)
  const provider = poolOf(cloud)
  const [addresses, proxies, inDns] = await Promise.all([provider.listAddresses(), provider.listProxies(), dnsValues(options)])
  return addressRows(addresses, proxies, inDns)
}

/**
 * The planned operations: under --dry-run only reported, else run, each
 * result seen by `hooks` as it comes. One list either way, so the dry run
 * shows exactly what a real run does. A record change goes to `dns`, the
 * zone dns.provider names, when one is given.
 */
async function apply(cloud: Cloud, operations: ProviderOperation[], options: CloudServiceOptions, hooks: OperationHooks = {}, dns?: DnsZone): Promise<DryRunReport | undefined> {
  if (options.dryRun) return dryRunReport(cloud, operations, options.checkPermissions, dns)
  await runOperations(dns ? {...cloud, dns} : cloud, operations, hooks)
  return undefined
}

export interface AllocateReport extends MutationReport {
  allocated: ElasticAddress[]
  pool: AddressRow[]
  /** topology pairs: why an address could not go onto its pair (no healthy member): exit 5. */
  unattached?: string[]
}

/** Progress lines name proxies as a person knows them; the events' data keep ids. */
export function namedReporter(reporter: Reporter, labels: Labels): Reporter {
  return {
    emit: (event) =>
      reporter.emit({...event, message: nameInstances(event.message, labels), ...(event.subject ? {subject: nameInstances(event.subject, labels)} : {})}),
  }
}

/** Under the moves lock, unless it is a dry run (which changes nothing and so needs no lock). */
function locked<T>(options: CloudServiceOptions, work: () => Promise<T>): Promise<T> {
  return options.dryRun ? work() : withFailoverLock(stateFilePath(options.cluster), work)
}

/** Bring the pool to `count` addresses (default: addresses.count); never releases. */
export async function allocateEips(options: CloudServiceOptions & {count?: number; judge?: HealthJudge}): Promise<AllocateReport> {
  const cloud = await clusterCloud(options)
  if (options.cluster.spec.topology === 'pairs') return allocatePairs(options, cloud)
  const provider = poolOf(cloud)
  const target = options.count ?? options.cluster.spec.addresses.count
  return locked(options, async () => {
    const before = await provider.listAddresses()
    const missing = Math.max(0, target - before.length)
    const allocated: ElasticAddress[] = []
    const operations: ProviderOperation[] = Array.from({length: missing}, () => ({op: 'allocateAddress'}))
    const dryRun = await apply(cloud, operations, options, {
      after: (result) => {
        if (result.op !== 'allocateAddress') return
        const a = result.address
        options.reporter.emit({level: 'info', code: 'eip.allocated', subject: a.publicIp, message: `allocated ${a.allocationId}`})
        allocated.push(a)
      },
    })
    const pool = addressRows([...before, ...allocated], [])
    const summary =
      missing === 0 ? `the pool already has ${before.length} addresses (wanted ${target}): nothing allocated` : `${options.dryRun ? 'would allocate' : 'allocated'} ${missing}; the pool has ${before.length + missing}`
    return {changed: missing > 0 && !options.dryRun, summary, allocated, pool, ...(dryRun ? {dryRun} : {})}
  })
}

/**
 * `topology: pairs`: one address per pair, tagged with the pair (an address
 * of the cluster with no pair yet becomes a pair's address before any is
 * allocated), each attached to a healthy member of its pair. The
 * attachments are planned by the failover planner, so they obey its rules:
 * never across pairs, never to a proxy that is not healthy now.
 */
async function allocatePairs(options: CloudServiceOptions & {count?: number; judge?: HealthJudge}, cloud: Cloud): Promise<AllocateReport> {
  const {cluster} = options
  const provider = poolOf(cloud)
  const tags = cloud.pairTags
  if (options.count !== undefined) {
    throw new UsageError('--count does not apply to topology pairs: the cluster has one address per pair', {
      actions: [`Set addresses.count in ${cluster.file} to the number of pairs (now ${cluster.spec.addresses.count}), then run \`hactl proxy launch\` and \`hactl eip allocate\`.`],
    })
  }
  const stateFile = stateFilePath(cluster)
  return locked(options, async () => {
    const [before, proxies] = await Promise.all([provider.listAddresses(), provider.listProxies()])
    const plan = planPairAddresses(before, proxies, cluster.spec.addresses.count)
    for (const note of plan.notes) options.reporter.emit({level: 'warn', code: 'eip.pairs', message: note})
    if (plan.adopt.length > 0 && !tags) {
      throw new UsageError(`provider ${cloud.kind} cannot tag addresses with their pair`, {actions: ['Tag them hactl:pair=pair-N yourself.']})
    }
    const labels = proxyLabels(proxies)
    const health = await healthJudge(cluster, options.judge)(proxies.filter((p) => p.state === 'running'))
    const state = await readState(stateFile)
    const pending = (pair: string): string => `(new address of ${pair})`
    const withPairs = (addresses: ElasticAddress[]): ElasticAddress[] =>
      addresses.map((a) => {
        const adopted = plan.adopt.find((x) => x.allocationId === a.allocationId)
        return adopted ? {...a, tags: {...a.tags, [TAG.pair]: adopted.pair}} : a
      })
    // Only what this command gives a pair, and pair addresses attached to nothing: moving an address off a failed proxy is `eip failover`'s work.
    const attachPlan = (addresses: ElasticAddress[]): FailoverPlan => {
      const only = addresses.filter((a) => a.instanceId === undefined || plan.adopt.some((x) => x.allocationId === a.allocationId)).map((a) => a.allocationId)
      if (only.length === 0) return {actions: [], notes: []}
      return planFailover({proxies, addresses, health, complete: true}, policyFor(cluster, {...stateHistory(state), only}))
    }
    const operations: ProviderOperation[] = [
      ...plan.adopt.map((a) => ({op: 'tagPair', resource: 'address', id: a.allocationId, pair: a.pair}) as const),
      ...plan.allocate.map((pair) => ({op: 'allocateAddress', pair}) as const),
    ]
    if (options.dryRun) {
      const planned = [...withPairs(before), ...plan.allocate.map((pair) => ({allocationId: pending(pair), publicIp: pending(pair), tags: {[TAG.pair]: pair}}))]
      const attach = attachPlan(planned)
      const moves = attach.actions.flatMap((a) => (a.kind === 'associate' ? [{op: 'associateAddress', allocationId: a.allocationId, instanceId: a.to} as const] : []))
      const dryRun = await dryRunReport(cloud, [...operations, ...moves], options.checkPermissions)
      const unattached = attach.actions.flatMap((a) => (a.kind === 'alert' ? [nameInstances(a.message, labels)] : []))
      const summary = operations.length + moves.length === 0 ? `every pair has its address on a member: nothing to do` : `would ${pairWork(plan, moves.length)}`
      return {changed: false, summary, allocated: [], pool: addressRows(planned, proxies), unattached, dryRun}
    }
    const allocated: ElasticAddress[] = []
    for (const a of plan.adopt) {
      await tags?.tagPair('address', a.allocationId, a.pair)
      options.reporter.emit({level: 'info', code: 'eip.pair', subject: a.publicIp, message: `is the address of ${a.pair}`})
    }
    for (const pair of plan.allocate) {
      const a = await provider.allocateAddress({pair})
      options.reporter.emit({level: 'info', code: 'eip.allocated', subject: a.publicIp, message: `allocated ${a.allocationId} for ${pair}`})
      allocated.push(a)
    }
    // The new addresses are looked at as the cloud has them now, so the moves name their real ids.
    const current = withPairs(plan.allocate.length > 0 || plan.adopt.length > 0 ? await provider.listAddresses() : before)
    const attach = attachPlan(current)
    const executed = await executeFailover(attach, provider, {reporter: namedReporter(options.reporter, labels), current})
    if (executed.results.some((r) => r.action.kind === 'associate')) await writeState(stateFile, recordMoves(state, executed.results, Date.now(), cluster.spec.failover.holdDown))
    const moved = executed.results.filter((r) => r.action.kind === 'associate' && r.outcome === 'moved').length
    const unattached = executed.results.flatMap((r) => (r.outcome === 'alerted' || r.outcome === 'failed' || r.outcome === 'unverified' ? [nameInstances(r.detail, labels)] : []))
    const after = executed.addresses.length > 0 ? executed.addresses : current
    const work = operations.length + moved
    const summary = work === 0 ? 'every pair has its address on a member: nothing to do' : pairWork(plan, moved).replace(/^give/, 'gave').replace(/^allocate/, 'allocated').replace(/ attach /, ' attached ')
    return {changed: work > 0, summary, allocated, pool: addressRows(after, proxies), unattached}
  })
}

function pairWork(plan: PairAddressPlan, attached: number): string {
  const parts = [
    ...(plan.adopt.length > 0 ? [`give ${plan.adopt.map((a) => `${a.publicIp} to ${a.pair}`).join(', ')}`] : []),
    ...(plan.allocate.length > 0 ? [`allocate an address for ${plan.allocate.join(', ')}`] : []),
    ...(attached > 0 ? [`attach ${attached} to ${attached === 1 ? 'its pair' : 'their pairs'}`] : []),
  ]
  return parts.join('; ')
}

export interface AttachReport extends MutationReport {
  /** The proxy the address is on afterwards, and what its health check saw. */
  target: {id: string; name: string; health: Health; detail: string}
  /** The address ends on a proxy that is not healthy (attached with --force): exit 5. */
  unhealthy: boolean
}

export async function attachEip(options: CloudServiceOptions & {eip: string; instance: string; force?: boolean; judge?: HealthJudge}): Promise<AttachReport> {
  const cloud = await clusterCloud(options)
  const provider = poolOf(cloud)
  return locked(options, async () => {
    const [addresses, proxies] = await Promise.all([provider.listAddresses(), provider.listProxies()])
    const address = findAddress(addresses, options.eip)
    const proxy = findProxy(proxies, options.instance)
    const labels = proxyLabels(proxies)
    const name = labelOf(labels, proxy.id) as string
    const verdict: Verdict = proxy.state === 'running' ? (await judgeWithDetail(healthJudge(options.cluster, options.judge), [proxy]))[proxy.id] : {health: 'unhealthy', detail: proxy.state}
    const target = {id: proxy.id, name, ...verdict}
    const unhealthy = verdict.health !== 'healthy'
    const warning = unhealthy ? `; ${name} is ${verdict.health} (${verdict.detail}): ${address.publicIp} serves nothing there` : ''
    if (address.instanceId === proxy.id) return {changed: false, summary: `${address.publicIp} is already on ${name}${warning}`, target, unhealthy}
    if (proxy.state !== 'running') {
      throw new UsageError(`${name} is ${proxy.state}: an address attached to it would serve nothing`, {actions: ['Pick a running, healthy proxy (hactl status).']})
    }
    if (unhealthy && !options.force) {
      throw new UsageError(`${name} is ${verdict.health} (${verdict.detail}): ${address.publicIp} attached to it would serve nothing; nothing changed`, {
        actions: ['Pick a healthy proxy (hactl status), or let hactl choose: hactl eip failover ' + address.publicIp, `Pass --force to attach it to ${name} anyway.`],
      })
    }
    const move = {allocationId: address.allocationId, to: proxy.id}
    const dryRun = await apply(cloud, [moveOperation(move)], options, {after: () => verified(provider, [move], options)})
    const verb = options.dryRun ? 'would attach' : 'attached'
    const moved = address.instanceId ? `, moving it off ${labelOf(labels, address.instanceId)}` : ''
    return {changed: !options.dryRun, summary: `${verb} ${address.publicIp} to ${name} (${proxy.zone})${moved}${warning}`, target, unhealthy, ...(dryRun ? {dryRun} : {})}
  })
}

async function verified(provider: PoolCloud, moves: {allocationId: string; to: string}[], options: CloudServiceOptions): Promise<void> {
  const {addresses, rounds} = await verifyAssociations(provider, moves, {reporter: options.reporter})
  const missing = moves.filter((m) => addresses.find((a) => a.allocationId === m.allocationId)?.instanceId !== m.to)
  if (missing.length > 0) {
    throw new CloudError(`the association of ${missing.map((m) => m.allocationId).join(', ')} is not visible after ${rounds} describes`, {
      actions: ['Check with `hactl eip list` in a minute; run the command again if it did not take.'],
    })
  }
}

export async function detachEip(options: CloudServiceOptions & {eip: string}): Promise<MutationReport> {
  const cloud = await clusterCloud(options)
  const provider = poolOf(cloud)
  return locked(options, async () => {
    const [addresses, proxies] = await Promise.all([provider.listAddresses(), provider.listProxies()])
    const address = findAddress(addresses, options.eip)
    if (!address.instanceId) return {changed: false, summary: `${address.publicIp} is not attached`}
    const dryRun = await apply(cloud, [{op: 'disassociateAddress', allocationId: address.allocationId}], options)
    const from = labelOf(proxyLabels(proxies), address.instanceId)
    return {changed: !options.dryRun, summary: `${options.dryRun ? 'would detach' : 'detached'} ${address.publicIp} from ${from}`, ...(dryRun ? {dryRun} : {})}
  })
}

export interface ReleaseReport extends MutationReport {
  /** The DNS record listed the address: what was done about it. */
  dns?: PoolPublish
  /** The record still lists the released address (the pool would have been empty): exit 5. */
  stale: boolean
}

/**
 * Release an address. Under the moves lock, so a `dns publish` never reads
 * the pool while it changes; an address the record lists is refused without
 * --force, and with it the record is republished without the address before
 * the lock is let go.
 */
export async function releaseEip(given: CloudServiceOptions & {eip: string; force?: boolean}): Promise<ReleaseReport> {
  const cloud = await clusterCloud(given)
  const provider = poolOf(cloud)
  const {dns} = given.cluster.spec
  // One zone for the read, the dry run and the republish.
  const options: DnsServiceOptions & {eip: string; force?: boolean} = dns ? {...given, cloud, dnsZone: await openZone(given)} : {...given, cloud}
  return locked(options, async () => {
    const addresses = await provider.listAddresses()
    const address = addresses.find((a) => a.allocationId === options.eip || a.publicIp === options.eip)
    await barrier('eip.release.read')
    if (!address) return {changed: false, stale: false, summary: `${options.eip} is not (or no longer) an address of this cluster: nothing to release`}
    const inDns = (await dnsValues(options))?.has(address.publicIp) ?? false
    const rest = addresses.filter((a) => a.allocationId !== address.allocationId)
    if (inDns && !options.force) {
      throw new UsageError(`${address.publicIp} is in the DNS record ${dns?.name}: releasing it would send clients to an address that is gone; nothing changed`, {
        actions: [
          `Pass --force to release it and republish ${dns?.name} with the other ${rest.length} address(es) in the same step.`,
          'Or lower addresses.count first and run `hactl dns publish` when the address is out of the pool.',
        ],
      })
    }
    const republish = inDns && rest.length > 0 && dns ? [{op: 'upsertRecordSet', records: {name: absoluteName(dns.name), type: 'A', ttl: dns.ttl, values: rest.map((a) => a.publicIp).sort()}, wait: true} as const] : []
    const operations: ProviderOperation[] = [
      ...(address.instanceId ? [{op: 'disassociateAddress', allocationId: address.allocationId} as const] : []),
      {op: 'releaseAddress', allocationId: address.allocationId},
      ...republish,
    ]
    let published: PoolPublish | undefined
    const zone = options.dnsZone
    const dryRun = await apply(
      cloud,
      operations,
      options,
      {
        before: (operation) => {
          if (operation.op === 'upsertRecordSet') announcePublish(operation.records, options.reporter, true)
        },
        after: async (_result, operation) => {
          if (operation.op === 'releaseAddress') await barrier('eip.release.released')
          if (operation.op === 'upsertRecordSet' && zone) published = await confirmPublished(zone, operation.records)
        },
      },
      republish.length > 0 ? zone : undefined,
    )
    // With no address left there is nothing to publish: say what the record still lists.
    if (!options.dryRun && inDns && !published && zone) published = await publishPool(zone, cloud, options.cluster, options.reporter)
    const what = `${options.dryRun ? 'would release' : 'released'} ${address.publicIp} (${address.allocationId})`
    let note = ''
    if (options.dryRun && inDns) note = rest.length > 0 ? `, and republish ${dns?.name} without it` : `; ${dns?.name} would keep listing it: the pool would be empty`
    if (published) note = published.written ? `; republished ${published.name} A ${published.values.join(' ')}` : published.note ? `; ${published.note}` : ''
    const stale = published !== undefined && published.values.includes(address.publicIp)
    return {changed: !options.dryRun, stale, summary: `${what}${note}`, ...(published ? {dns: published} : {}), ...(dryRun ? {dryRun} : {})}
  })
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
  /** Every address of the pool ends on a healthy proxy. */
  ok: boolean
  changed: boolean
  /** Addresses in scope that are not on a healthy proxy at the end. */
  unhealthy: string[]
  /** Addresses out of scope (not named on the command line) that sit on a proxy that is not healthy. */
  elsewhere: string[]
  /** Instance id → the name a person knows it by, for the lines the command prints. */
  names: Record<string, string>
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
  const next = countRemaps(state, results, at)
  const done: ActionRecord[] = results.flatMap((r) =>
    r.action.kind === 'associate' && issued(r)
      ? [
          {
            round: 'cli',
            at: new Date(at).toISOString(),
            kind: 'associate',
            summary: `${r.action.publicIp}: ${r.action.from ?? '(unattached)'} → ${r.action.to} (${r.action.reason})`,
            outcome: r.outcome === 'moved' ? 'done' : 'failed',
          },
        ]
      : [],
  )
  return pruneState({...next, lastActions: [...state.lastActions, ...done]}, at, holdDownMs)
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
  const cloud = await clusterCloud(options)
  const provider = poolOf(cloud)
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
    const labels = proxyLabels(view.proxies)
    const only = options.only?.map((ref) => findAddress(view.addresses, ref).allocationId)
    if (options.to) refuseUnhealthyTarget(findProxy(view.proxies, options.to), verdictsOf(judge, view.proxies, view.health), labels)
    // Proxies the monitor found never given the source config: an operator's move passes them over too. (Not those it
    // has yet to compare: without a running monitor, that would keep every later proxy out of reach.)
    const unpushed = cluster.spec.proxy.converge === 'off' ? [] : (state.converge?.unpushed ?? [])
    const plan = planner({...view, unpushed}, policyFor(cluster, {...stateHistory(state), ...(only && only.length > 0 ? {only} : {}), ...(options.to ? {to: options.to} : {})}))
    const moves = plan.actions.flatMap((a) => (a.kind === 'associate' ? [a] : []))
    if (options.dryRun) {
      const dryRun = await dryRunReport(cloud, moves.map(moveOperation), options.checkPermissions)
      const after = view.addresses.map((a) => ({...a, instanceId: moves.find((m) => m.allocationId === a.allocationId)?.to ?? a.instanceId}))
      return summarize(plan, [], after, view.proxies, view.health, only, labels, dryRun)
    }
    const executed = await executeFailover(plan, provider, {reporter: namedReporter(options.reporter, labels), verifyTimeoutMs: options.verifyTimeoutMs})
    if (executed.results.some((r) => r.action.kind === 'associate')) await writeState(stateFile, recordMoves(state, executed.results, Date.now(), cluster.spec.failover.holdDown))
    const merged = executed.addresses.length > 0 ? executed.addresses : view.addresses
    return summarize(plan, executed.results, merged, view.proxies, view.health, only, labels)
  }
  return options.dryRun ? work() : withFailoverLock(stateFile, work)
}

/** `--to` names the operator's choice: one that is not healthy now is refused before anything is planned. */
function refuseUnhealthyTarget(target: ProxyInstance, verdicts: Record<string, Verdict>, labels: Labels): void {
  if (isHealthyNow(target, {[target.id]: verdicts[target.id]?.health ?? 'unknown'})) return
  const name = labelOf(labels, target.id) as string
  const seen = target.state === 'running' ? `${verdicts[target.id]?.health ?? 'unknown'} (${verdicts[target.id]?.detail ?? 'not judged'})` : target.state
  throw new UsageError(`${name} is ${seen}: no address is moved to it; nothing changed`, {
    actions: ['Pick a healthy proxy for --to (hactl status), or leave --to out and hactl chooses one.', `To put an address on ${name} anyway: hactl eip attach ADDRESS ${target.name ?? target.id} --force.`],
  })
}

function summarize(
  plan: FailoverPlan,
  results: ExecutedAction[],
  addresses: ElasticAddress[],
  proxies: ProxyInstance[],
  health: Record<string, Health>,
  only: string[] | undefined,
  labels: Labels,
  dryRun?: DryRunReport,
): FailoverReport {
  const inScope = (a: ElasticAddress): boolean => !only || only.length === 0 || only.includes(a.allocationId)
  const byId = new Map(proxies.map((p) => [p.id, p]))
  const served = (a: ElasticAddress): boolean => a.instanceId !== undefined && byId.get(a.instanceId)?.state === 'running' && health[a.instanceId] === 'healthy'
  const unhealthy = addresses.filter((a) => inScope(a) && !served(a)).map((a) => a.publicIp)
  // Out of scope, an unattached address is the operator's business; one on a failed proxy is an outage.
  const failed = (id: string): boolean => byId.get(id)?.state !== 'running' || health[id] === 'unhealthy'
  const elsewhere = addresses.filter((a) => !inScope(a) && a.instanceId !== undefined && failed(a.instanceId)).map((a) => a.publicIp)
  return {
    plan,
    results,
    addresses: addressRows(addresses, proxies),
    ok: unhealthy.length === 0 && elsewhere.length === 0,
    changed: results.some((r) => r.outcome === 'moved' && !r.already),
    unhealthy,
    elsewhere,
    names: Object.fromEntries(labels),
    ...(dryRun ? {dryRun} : {}),
  }
}
