/**
 * The proxy instances: launch up to a count spread over zones, list them,
 * terminate one (moving its addresses to healthy proxies first).
 */
import {createHash} from 'node:crypto'

import type {ProviderOperation} from '../cloud/operations.js'
import {need, poolOf, type Cloud, type Instances} from '../cloud/capabilities.js'
import type {Placement, ProxyInstance} from '../cloud/provider.js'
import {runOperation} from '../cloud/run-operation.js'
import {ConfigError, ExitCode, UnhealthyError, UsageError} from '../errors.js'
import {executeFailover, moveOperation} from '../failover/executor.js'
import {withFailoverLock} from '../failover/lock.js'
import {planFailover} from '../failover/planner.js'
import type {Reporter} from '../events.js'
import type {ConnectOptions} from '../remote/connect.js'
import {poll} from '../util/poll.js'
import {clusterCloud, dryRunReport, type CloudServiceOptions, type DryRunReport} from './cloud.js'
import {readState, stateFilePath, writeState} from '../monitor/state.js'
import {healthJudge, namedReporter, policyFor, recordMoves} from './eip.js'
import {proxyLabels} from '../cloud/labels.js'
import {byPair, isMember, MEMBERS_PER_PAIR, pairOf, planPairLaunch} from '../cloud/pairs.js'
import {TAG} from '../cloud/tags.js'
import {launchNlb, terminateInGroup} from './nlb.js'

export interface ProxyRow {
  id: string
  name?: string
  /** topology pairs: its pair (`hactl:pair`). */
  pair?: string
  zone: string
  state: string
  privateIp?: string
  publicIp?: string
  /** Public IPs of the pool addresses it holds. */
  eips: string[]
  /** topology nlb: its state as a target of the balancer (`not registered` when it is none), and the balancer's reason. */
  target?: {state: string; reason?: string}
}

export async function listProxyRows(options: CloudServiceOptions): Promise<ProxyRow[]> {
  const cloud = await clusterCloud(options)
  // A cluster without an address pool (static hosts) lists its proxies holding none.
  const [proxies, addresses, balancer] = await Promise.all([cloud.hosts.listProxies(), cloud.addresses?.listAddresses() ?? [], cloud.balancer?.describeBalancer()])
  const targetOf = (id: string): ProxyRow['target'] => {
    const found = balancer?.targets.find((t) => t.instanceId === id)
    return found ? {state: found.state, ...(found.reason ? {reason: found.reason} : {})} : {state: 'not registered'}
  }
  return byPair(proxies).map((p) => ({
    id: p.id,
    ...(p.name ? {name: p.name} : {}),
    ...(pairOf(p) ? {pair: pairOf(p)} : {}),
    zone: p.zone,
    state: p.state,
    ...(p.privateAddress ? {privateIp: p.privateAddress} : {}),
    ...(p.publicAddress ? {publicIp: p.publicAddress} : {}),
    eips: addresses.filter((a) => a.instanceId === p.id).map((a) => a.publicIp),
    ...(cloud.balancer ? {target: targetOf(p.id)} : {}),
  }))
}

export interface LaunchReport {
  changed: boolean
  summary: string
  wanted: number
  existing: number
  launched: ProxyInstance[]
  placements: Placement[]
  /** topology pairs: each pair's members (ids; `new:<zone>` for one being launched). */
  pairs?: Record<string, string[]>
  /** topology pairs: proxies that were in no pair and joined one. */
  adopted?: {id: string; name?: string; zone: string; pair: string}[]
  dryRun?: DryRunReport
  /** The source config pushed to the launched proxies before the command returned (absent with --no-push or when none was launched). */
  push?: LaunchPush
  /** 4 when a launched proxy could not be given the source config. */
  exitCode?: number
}

export interface LaunchPush {
  /** Launched proxies that serve the source now. */
  ready: string[]
  /** Launched proxies that do not: no address should go to them until `hactl config push` reaches them. */
  notReady: string[]
  hosts: {id: string; host: string; outcome: string; summary: string; message?: string}[]
}

export interface LaunchOptions extends CloudServiceOptions, ConnectOptions {
  count?: number
  waitTimeoutMs?: number
  /** Push the source config to the launched proxies once they answer (default true). */
  push?: boolean
  /** How long a launched proxy may take to answer SSH before its push counts as failed (default 5 min). */
  reachTimeoutMs?: number
}

/**
 * A new proxy boots with the engine's packaged config (user-data installs the
 * engine, nothing more): before `proxy launch` returns, and so before any
 * address can move to it, the source config is pushed to it.
 */
async function configureLaunched(options: LaunchOptions, running: ProxyInstance[], report: LaunchReport): Promise<LaunchReport> {
  if (options.push === false || running.length === 0) return report
  const {pushBeforeTraffic} = await import('./converge.js')
  options.reporter.emit({level: 'info', code: 'proxy.push', message: `pushing the source config to ${running.map((p) => p.name ?? p.id).join(', ')}`})
  const pushed = await pushBeforeTraffic(options.cluster, running, {
    reporter: options.reporter,
    acceptNew: options.acceptNew,
    askPassphrase: options.askPassphrase,
    waitReachableMs: options.reachTimeoutMs ?? 300_000,
  })
  const push: LaunchPush = {
    ready: pushed.ready,
    notReady: pushed.notReady,
    hosts: pushed.hosts.map((h) => ({id: h.id, host: h.host, outcome: h.outcome, summary: h.summary, ...(h.message ? {message: h.message} : {})})),
  }
  if (push.notReady.length === 0) return {...report, summary: `${report.summary}; the source config is on ${running.length === 1 ? 'it' : 'all of them'}`, push}
  const names = push.notReady.map((id) => running.find((p) => p.id === id)?.name ?? id)
  return {
    ...report,
    summary: `${report.summary}; the source config is NOT on ${names.join(', ')}: no address goes to ${names.length === 1 ? 'it' : 'them'} until \`hactl config push --hosts ${names.join(',')}\` succeeds`,
    push,
    exitCode: ExitCode.partial,
  }
}

/** Where proxies may go: the configured subnets (each in its zone), else the configured zones. */
async function slots(options: CloudServiceOptions, provider: Instances): Promise<Placement[]> {
  const {subnets, zones} = options.cluster.spec.proxy.instances
  if (subnets.length > 0) {
    const lookup = (provider as Partial<{subnetZones(s: string[]): Promise<Map<string, string>>}>).subnetZones
    const zoneOf = lookup ? await lookup.call(provider, subnets) : new Map<string, string>()
    return subnets.map((subnet, i) => ({subnet, zone: zoneOf.get(subnet) ?? zones[i % Math.max(1, zones.length)] ?? ''}))
  }
  if (zones.length > 0) return zones.map((zone) => ({zone}))
  throw new ConfigError('proxy.instances needs zones or subnets to place proxies', {file: options.cluster.file}, {
    actions: ['Set proxy.instances.zones (two or more availability zones) or proxy.instances.subnets.'],
  })
}

/** Round-robin by load: each new proxy goes to the slot whose zone has the fewest proxies. */
export function placeProxies(existing: {zone: string}[], available: Placement[], count: number): Placement[] {
  const perZone = new Map<string, number>()
  for (const p of existing) perZone.set(p.zone, (perZone.get(p.zone) ?? 0) + 1)
  const perSlot = available.map(() => 0)
  const out: Placement[] = []
  for (let n = 0; n < count; n++) {
    let best = 0
    for (let i = 1; i < available.length; i++) {
      const load = (j: number): [number, number] => [perZone.get(available[j].zone) ?? 0, perSlot[j]]
      const [zi, si] = load(i)
      const [zb, sb] = load(best)
      if (zi < zb || (zi === zb && si < sb)) best = i
    }
    out.push(available[best])
    perSlot[best]++
    perZone.set(available[best].zone, (perZone.get(available[best].zone) ?? 0) + 1)
  }
  return out
}

/**
 * Each new proxy's Name: cluster, zone and the lowest index that no proxy of
 * the cluster has in that zone (`web-proxy-us-east-1a-1`), so names stay
 * unique across re-launches and a person can tell the proxies apart.
 */
export function proxyNames(cluster: string, existing: {name?: string}[], placements: Placement[]): Placement[] {
  const taken = new Set(existing.flatMap((p) => (p.name ? [p.name] : [])))
  return placements.map((placement) => {
    let index = 1
    while (taken.has(`${cluster}-proxy-${placement.zone}-${index}`)) index++
    const name = `${cluster}-proxy-${placement.zone}-${index}`
    taken.add(name)
    return {...placement, name}
  })
}

export async function launchProxies(options: LaunchOptions): Promise<LaunchReport> {
  const cloud = await clusterCloud(options)
  if (options.cluster.spec.topology === 'pairs') return launchPairs(options, cloud)
  // A provider that makes no balancer parts of its own (the sandbox runs its balancer itself) launches proxies as in a pool.
  if (options.cluster.spec.topology === 'nlb' && cloud.balancerSetup) return launchNlb(options, cloud)
  const provider = need(cloud, 'instances')
  const wanted = options.count ?? options.cluster.spec.proxy.instances.count
  const existing = await provider.listProxies()
  const missing = Math.max(0, wanted - existing.length)
  if (missing === 0) {
    return {changed: false, summary: `the cluster already has ${existing.length} proxies (wanted ${wanted}): nothing launched`, wanted, existing: existing.length, launched: [], placements: []}
  }
  const placements = proxyNames(options.cluster.spec.cluster, existing, placeProxies(existing, await slots(options, provider), missing))
  // The same cluster state gives the same token, so a retried launch is recognised by the cloud.
  const clientToken = `hactl-${createHash('sha256').update([options.cluster.spec.cluster, wanted, ...existing.map((p) => p.id).sort()].join('/')).digest('hex').slice(0, 32)}`
  const launch = {op: 'launchProxies', placements, clientToken} as const
  const operations: ProviderOperation[] = [launch]
  if (options.dryRun) {
    const dryRun = await dryRunReport(cloud, operations, options.checkPermissions)
    return {changed: false, summary: `would launch ${missing} (have ${existing.length}, want ${wanted})`, wanted, existing: existing.length, launched: [], placements, dryRun}
  }
  options.reporter.emit({level: 'info', code: 'proxy.launch', message: `launching ${missing} in ${placements.map((p) => p.subnet ?? p.zone).join(', ')}`})
  const {launched} = await runOperation(cloud, launch)
  const running = await waitRunning(provider, launched.map((p) => p.id), options.reporter, options.waitTimeoutMs ?? 600_000)
  const report = {changed: true, summary: `launched ${launched.length}; the cluster has ${existing.length + launched.length} proxies`, wanted, existing: existing.length, launched: running, placements}
  return configureLaunched(options, running, report)
}

/**
 * `topology: pairs`: addresses.count pairs of two proxies. Proxies of the
 * cluster without a pair join the pairs that miss members (a tag), then new
 * proxies fill the rest, each tagged with its pair from the first byte and
 * placed in a zone its pair does not have yet.
 */
async function launchPairs(options: LaunchOptions, cloud: Cloud): Promise<LaunchReport> {
  const {spec} = options.cluster
  const provider = need(cloud, 'instances')
  const tags = cloud.pairTags
  if (options.count !== undefined) {
    throw new UsageError('--count does not apply to topology pairs: the cluster runs two proxies for each address', {
      actions: [`Set addresses.count in ${options.cluster.file} to the number of pairs (now ${spec.addresses.count}), then run \`hactl proxy launch\` again.`],
    })
  }
  const pairs = spec.addresses.count
  const wanted = pairs * MEMBERS_PER_PAIR
  const existing = await provider.listProxies()
  const have = existing.filter(isMember).length
  const plan = planPairLaunch(existing, pairs, await slots(options, provider))
  for (const note of plan.notes) options.reporter.emit({level: 'warn', code: 'proxy.pairs', message: note})
  const base = {wanted, existing: have, pairs: plan.pairs, adopted: plan.adopt}
  if (plan.placements.length === 0 && plan.adopt.length === 0) {
    return {...base, changed: false, summary: `the cluster already has its ${pairs} pair(s) of two proxies: nothing launched`, launched: [], placements: []}
  }
  if (plan.adopt.length > 0 && !tags) {
    throw new UsageError(`provider ${cloud.kind} cannot tag proxies with their pair`, {actions: ['Tag them hactl:pair=pair-N yourself, or launch new ones.']})
  }
  const placements = proxyNames(spec.cluster, existing, plan.placements) as (Placement & {pair: string})[]
  const clientToken = `hactl-${createHash('sha256').update([spec.cluster, 'pairs', pairs, ...existing.map((p) => `${p.id}:${p.tags[TAG.pair] ?? ''}`).sort()].join('/')).digest('hex').slice(0, 32)}`
  const operations: ProviderOperation[] = [
    ...plan.adopt.map((a) => ({op: 'tagPair', resource: 'proxy', id: a.id, pair: a.pair}) as const),
    ...(placements.length > 0 ? [{op: 'launchProxies', placements, clientToken} as const] : []),
  ]
  const what = [
    ...(plan.adopt.length > 0 ? [`${plan.adopt.length} existing proxies into pairs`] : []),
    ...(placements.length > 0 ? [`launch ${placements.length} (${placements.map((p) => `${p.pair} in ${p.subnet ?? p.zone}`).join(', ')})`] : []),
  ].join(' and ')
  if (options.dryRun) {
    const dryRun = await dryRunReport(cloud, operations, options.checkPermissions)
    return {...base, changed: false, summary: `would ${plan.adopt.length > 0 ? 'put ' : ''}${what} (have ${have}, want ${wanted} in ${pairs} pairs)`, launched: [], placements, dryRun}
  }
  for (const a of plan.adopt) {
    await tags?.tagPair('proxy', a.id, a.pair)
    options.reporter.emit({level: 'info', code: 'proxy.pair', subject: a.name ?? a.id, message: `joins ${a.pair} (${a.zone})`})
  }
  let running: ProxyInstance[] = []
  if (placements.length > 0) {
    options.reporter.emit({level: 'info', code: 'proxy.launch', message: `launching ${placements.length}: ${placements.map((p) => `${p.pair} in ${p.subnet ?? p.zone}`).join(', ')}`})
    const launched = await provider.launchProxies(placements, {clientToken})
    running = await waitRunning(provider, launched.map((p) => p.id), options.reporter, options.waitTimeoutMs ?? 600_000)
  }
  const done = [...(plan.adopt.length > 0 ? [`put ${plan.adopt.length} existing proxies into pairs`] : []), ...(running.length > 0 ? [`launched ${running.length}`] : [])].join(', ')
  return configureLaunched(options, running, {...base, changed: true, summary: `${done}; the cluster has ${pairs} pair(s): ${pairSummary(plan.pairs, existing, running)}`, launched: running, placements})
}

/** `pair-1: web-proxy-a-1 + web-proxy-b-1, …` as a person reads it. */
function pairSummary(pairs: Record<string, string[]>, existing: ProxyInstance[], launched: ProxyInstance[]): string {
  const all = [...existing, ...launched]
  const named = new Set<string>()
  return Object.entries(pairs)
    .map(([pair, ids]) => {
      const names = ids.map((id) => {
        // A launched member is known by its zone until it has an id: take the launched proxy of that pair and zone.
        if (id.startsWith('new:')) {
          const found = launched.find((p) => p.tags[TAG.pair] === pair && p.zone === id.slice(4) && !named.has(p.id))
          if (found) named.add(found.id)
          return found ? (found.name ?? found.id) : id.slice(4)
        }
        const found = all.find((p) => p.id === id)
        return found?.name ?? id
      })
      return `${pair}: ${names.join(' + ')}`
    })
    .join(', ')
}

/** Describe with capped backoff until every id is running; report progress when the count changes. */
async function waitRunning(provider: Instances, ids: string[], reporter: Reporter, timeoutMs: number): Promise<ProxyInstance[]> {
  let last = -1
  const running = (mine: ProxyInstance[]): number => mine.filter((p) => p.state === 'running').length
  const {value: mine, done} = await poll(
    async () => {
      const mine = (await provider.listProxies()).filter((p) => ids.includes(p.id))
      const up = running(mine)
      if (up !== last) reporter.emit({level: 'info', code: 'proxy.wait', message: `${up}/${ids.length} running`})
      last = up
      return mine
    },
    (mine) => running(mine) === ids.length,
    {timeoutMs, delayMs: 500, maxDelayMs: 5000},
  )
  if (done) return mine
  throw new UnhealthyError(`${ids.length - running(mine)} of ${ids.length} new proxies are not running after ${Math.round(timeoutMs / 1000)} s`, {
    actions: ['Look at them with `hactl proxy list`; `hactl proxy launch` again launches nothing more once they run.'],
  })
}

export interface TerminateReport {
  changed: boolean
  summary: string
  moved: {address: string; to: string}[]
  dryRun?: DryRunReport
}

export async function terminateProxy(options: CloudServiceOptions & {id: string; force?: boolean; decrement?: boolean; drain?: boolean}): Promise<TerminateReport> {
  const cloud = await clusterCloud(options)
  if (options.cluster.spec.topology === 'nlb' && cloud.scaling) return terminateInGroup(options, cloud)
  // No address pool (topology nlb): nothing to move off it first.
  if (!cloud.addresses) return terminateAlone(options, cloud)
  const provider = poolOf(cloud)
  const stateFile = stateFilePath(options.cluster)
  const work = async (): Promise<TerminateReport> => {
    const [proxies, addresses] = await Promise.all([provider.listProxies(), provider.listAddresses()])
    const proxy = proxies.find((p) => p.id === options.id || p.name === options.id)
    if (!proxy) return {changed: false, summary: `${options.id} is not (or no longer) a proxy of this cluster: nothing to terminate`, moved: []}
    const held = addresses.filter((a) => a.instanceId === proxy.id)
    if (held.length > 0 && !options.force) {
      throw new UsageError(`${proxy.id} holds ${held.map((a) => a.publicIp).join(', ')}: terminating it would take them off the air`, {
        actions: ['Pass --force to move them to healthy proxies first, or move them with `hactl eip attach`.'],
      })
    }
    // The proxy is about to go: the planner sees it as unhealthy and moves what it holds.
    const judge = healthJudge(options.cluster)
    const health = {...(await judge(proxies)), [proxy.id]: 'unhealthy' as const}
    const plan = planFailover({proxies, addresses, health, complete: true}, policyFor(options.cluster, {only: held.map((a) => a.allocationId)}))
    const moves = plan.actions.flatMap((a) => (a.kind === 'associate' ? [a] : []))
    if (moves.length < held.length) {
      throw new UnhealthyError(`no healthy proxy can take ${held.length - moves.length} of the addresses ${proxy.id} holds: nothing terminated`, {
        actions: ['Launch or repair a proxy first (hactl proxy launch), then terminate.'],
      })
    }
    // The moves are run by the failover executor (which checks each holder first and verifies), from the same plan.
    const terminate = {op: 'terminateProxy', instanceId: proxy.id} as const
    const operations: ProviderOperation[] = [...moves.map(moveOperation), terminate]
    const moved = moves.map((m) => ({address: m.publicIp, to: m.to}))
    if (options.dryRun) {
      return {changed: false, summary: `would terminate ${proxy.id}`, moved, dryRun: await dryRunReport(cloud, operations, options.checkPermissions)}
    }
    const executed = await executeFailover(plan, provider, {reporter: namedReporter(options.reporter, proxyLabels(proxies)), current: addresses})
    if (moves.length > 0) await writeState(stateFile, recordMoves(await readState(stateFile), executed.results, Date.now(), options.cluster.spec.failover.holdDown))
    const failed = executed.results.filter((r) => r.outcome !== 'moved' && r.outcome !== 'alerted')
    if (failed.length > 0) {
      throw new UnhealthyError(`could not move every address off ${proxy.id}: nothing terminated`, {actions: ['See `hactl eip list`, then run again.'], data: {results: executed.results}})
    }
    await runOperation(cloud, terminate)
    options.reporter.emit({level: 'info', code: 'proxy.terminate', subject: proxy.id, message: 'terminating'})
    return {changed: true, summary: `terminated ${proxy.id}${moved.length > 0 ? ` after moving ${moved.map((m) => `${m.address} → ${m.to}`).join(', ')}` : ''}`, moved}
  }
  return options.dryRun ? work() : withFailoverLock(stateFile, work)
}

/** A proxy that holds no address: terminate it; with topology nlb the scaling group launches its replacement. */
async function terminateAlone(options: CloudServiceOptions & {id: string}, cloud: Cloud): Promise<TerminateReport> {
  const proxies = await need(cloud, 'instances').listProxies()
  const proxy = proxies.find((p) => p.id === options.id || p.name === options.id)
  if (!proxy) return {changed: false, summary: `${options.id} is not (or no longer) a proxy of this cluster: nothing to terminate`, moved: []}
  const terminate = {op: 'terminateProxy', instanceId: proxy.id} as const
  if (options.dryRun) return {changed: false, summary: `would terminate ${proxy.id}`, moved: [], dryRun: await dryRunReport(cloud, [terminate], options.checkPermissions)}
  await runOperation(cloud, terminate)
  options.reporter.emit({level: 'info', code: 'proxy.terminate', subject: proxy.id, message: 'terminating'})
  return {changed: true, summary: `terminated ${proxy.id}${cloud.scaling ? ': the scaling group launches a replacement' : ''}`, moved: []}
}
