/**
 * One monitor round: observe (one describe of instances, one of addresses,
 * the health judge, all at once) → rise/fall → the pure planner → act, each
 * association verified → publish DNS only when the pool itself changed →
 * the new state. Everything the round sees and does is an event.
 */
import type {PoolCloud} from '../cloud/capabilities.js'
import type {DnsZone} from '../cloud/dns-zone.js'
import type {ElasticAddress} from '../cloud/provider.js'
import {planDns, type DnsSpec} from '../failover/dns-planner.js'
import {planFailover, planPreempt, type FailoverAction, type FailoverPlan, type FailoverPolicy, type Health, type ObservedPool} from '../failover/planner.js'
import type {ExecutedAction} from '../failover/executor.js'
import {observePool} from '../failover/observe.js'
import {suspectView, type Suspicion} from '../failover/suspect.js'
import type {HealthJudge} from '../health/judge.js'
import {observeAll} from '../health/rise-fall.js'
import type {Reporter} from '../events.js'
import type {ActionRunner, AssociateAction} from './actions.js'
import {certificateAlerts, type SourceCertificate} from './certificates.js'
import {unpushedProxies, type ConvergeWorker} from './converge.js'
import type {LeaseKeeper} from './lease.js'
import {isReplaceIncident, replaceStep, type ReplaceDeps} from './replace.js'
import {countRemaps, pruneState, type ActionRecord, type MonitorState, type OpenAlert} from './state.js'

export interface MonitorSettings {
  topology: 'pairs' | 'pool'
  rise: number
  fall: number
  holdDownMs: number
  maxRemapsPerHour: number
  /** `failover.rebalance`: auto moves addresses back onto empty healthy proxies after the hold-down. */
  rebalance: 'auto' | 'manual'
  /**
   * Doubt a round where every proxy fails or most flip at once (default on).
   * Off for the `ec2` judge: there the view is the cloud's word, not this machine's probes.
   */
  suspectGuard?: boolean
  /** The cluster's DNS record, kept listing the pool's addresses. */
  dns?: DnsSpec
  /** `tls.warnDays`: a source certificate this close to expiry, or past it, is alerted once a day. */
  tlsWarnDays?: number
  /** `failover.replace`: dead proxies are replaced after `afterMs`; `wanted` is how many live proxies the cluster keeps. */
  replace?: {afterMs: number; wanted: number}
}

export interface MonitorDeps {
  provider: PoolCloud
  /** Where the record lives (the zone dns.provider names); without it the round publishes nothing. */
  dns?: Pick<DnsZone, 'getRecordSet' | 'upsertRecordSet'>
  judge: HealthJudge
  run: ActionRunner
  reporter: Reporter
  clock?: () => number
  /** When set, only the lease holder acts. */
  lease?: LeaseKeeper
  /** Asked between actions: true once SIGTERM/SIGINT came, so no new action starts. */
  stopping?: () => boolean
  /** The source config's certificates (no connection); without it, no expiry alerts. */
  certificates?: () => Promise<readonly SourceCertificate[]>
  /** Launch, push to and terminate proxies, for `failover.replace` (src/monitor/replace.ts). */
  replace?: ReplaceDeps
  /** `proxy.converge` (./converge.ts): live configs against the source; never-pushed proxies get no address. */
  converge?: ConvergeWorker
}

export interface RoundOutcome {
  id: string
  complete: boolean
  health: Record<string, Health>
  planned: number
  done: number
  failed: number
  alerts: number
  /** Another monitor holds the lease; this one observed only. */
  standby: boolean
  /** This round's view was suspect (the monitor may be cut off): no moves. */
  suspect: boolean
  dnsPublished: boolean
  /** Certificate expiry alerts sent this round (not counted in `alerts`: nothing the monitor could heal by moving). */
  certificateAlerts: number
}

/** The round's describe and health judge; a view with any failure is marked incomplete and acted on not at all. */
async function observe(deps: MonitorDeps): Promise<{view: ObservedPool; judged: Record<string, Health>}> {
  const {view, error} = await observePool(deps.provider, deps.judge)
  if (error) {
    deps.reporter.emit({level: 'error', code: 'monitor.observe', message: `${(error as Error)?.message ?? String(error)}; acting on nothing this round`})
  }
  return {view: {...view, health: {}}, judged: view.health}
}

function describe(action: FailoverAction): string {
  if (action.kind === 'alert') return action.message
  return `move ${action.publicIp} ${action.from ? `from ${action.from} ` : ''}to ${action.to} (${action.toZone}): ${action.reason}`
}

export async function runRound(previous: MonitorState, id: string, settings: MonitorSettings, deps: MonitorDeps): Promise<{state: MonitorState; outcome: RoundOutcome; plan: FailoverPlan}> {
  const clock = deps.clock ?? Date.now
  const {reporter} = deps
  const now = clock()
  const {view, judged} = await observe(deps)
  // A standby leaves pushes to the lease holder; a partial view keeps what was known.
  const mayConverge = deps.converge && view.complete && !deps.stopping?.() && (!deps.lease || deps.lease.mayAct())
  const converged = mayConverge ? await deps.converge?.step(view.proxies, previous.converge, now, reporter) : undefined
  const unpushed = converged?.unpushed ?? (deps.converge && previous.converge ? unpushedProxies(previous.converge, view.proxies) : [])

  const observations = Object.fromEntries(view.proxies.map((p) => [p.id, judged[p.id] === 'unknown' || judged[p.id] === undefined ? undefined : judged[p.id] === 'healthy']))
  const {counters, transitions} = observeAll(previous.counters, observations, now, settings)
  // A round that could not see everything keeps the counters of proxies it did not see.
  const keptCounters = view.complete ? counters : {...previous.counters, ...counters}
  for (const t of transitions) {
    reporter.emit({level: t.to === 'unhealthy' ? 'warn' : 'info', code: 'health.transition', subject: t.target, message: `${t.from} → ${t.to}`, data: {from: t.from, to: t.to}})
  }
  // Healthy by rise/fall but failing right now: it keeps what it holds (fall not reached) yet is no target for a move.
  const health: Record<string, Health> = Object.fromEntries(
    Object.entries(keptCounters).map(([k, c]) => [k, c.health === 'healthy' && c.failures > 0 ? 'unknown' : c.health]),
  )
  const healthySince = Object.fromEntries(Object.entries(keptCounters).filter(([, c]) => c.health === 'healthy').map(([k, c]) => [k, c.since]))

  // A partial view says nothing about the proxies: the doubt of the last complete round stands.
  const verdict = view.complete && settings.suspectGuard !== false ? judgeView(view, observations, previous, keptCounters, now, settings) : {suspicion: previous.suspect}
  const {suspicion} = verdict

  const policy: FailoverPolicy = {
    now,
    topology: settings.topology,
    holdDownMs: settings.holdDownMs,
    maxRemapsPerHour: settings.maxRemapsPerHour,
    remaps: previous.remaps,
    lostAt: previous.lostAt,
    healthySince,
    rebalance: settings.rebalance,
  }
  let plan: FailoverPlan = suspicion ? {actions: [], notes: [`suspect view, acting on nothing: ${suspicion.message}`]} : planFailover({...view, health, unpushed}, policy)
  if (!suspicion && settings.rebalance === 'auto' && plan.actions.length === 0) {
    const preempt = planPreempt({...view, health, unpushed}, policy)
    plan = {actions: preempt.actions, notes: [...plan.notes, ...preempt.notes]}
  }
  for (const note of plan.notes) reporter.emit({level: 'debug', code: 'failover.note', message: note})

  const state: MonitorState = {
    ...previous,
    counters: keptCounters,
    remaps: [...previous.remaps],
    lostAt: {...previous.lostAt},
    lastActions: [...previous.lastActions],
    alerts: {...previous.alerts},
    ...(suspicion ? {suspect: suspicion} : {suspect: undefined}),
    ...(converged ? {converge: converged.state} : {}),
  }
  const record = (action: FailoverAction | {kind: 'alert' | 'dns' | 'replace'}, summary: string, outcome: ActionRecord['outcome']): void => {
    state.lastActions.push({round: id, at: new Date(clock()).toISOString(), kind: action.kind, summary, outcome})
  }
  const outcome: RoundOutcome = {id, complete: view.complete, health, planned: 0, done: 0, failed: 0, alerts: 0, standby: false, suspect: suspicion !== undefined, dnsPublished: false, certificateAlerts: 0}
  const associations = plan.actions.filter((a): a is AssociateAction => a.kind === 'associate')

  let mayAct = true
  if (deps.lease && suspicion) {
    // A monitor that may be cut off steps aside, so a monitor elsewhere with a better view can act.
    mayAct = false
    if (deps.lease.mayAct()) {
      await deps.lease.release().catch((error: Error) => reporter.emit({level: 'error', code: 'lease.error', message: `cannot give the lease up: ${error.message}`}))
      reporter.emit({level: 'warn', code: 'lease.released', message: 'gave the lease up: this monitor may be cut off, another monitor may act'})
    }
  } else if (deps.lease) {
    mayAct = await deps.lease.refresh().catch((error: Error) => {
      reporter.emit({level: 'error', code: 'lease.error', message: `cannot renew the lease: ${error.message}`})
      return deps.lease?.mayAct() ?? false
    })
    if (!mayAct) outcome.standby = true
  }

  // Alerts: once per incident, again when it changes, and when it is resolved. A standby leaves the
  // pool's incidents to the lease holder and speaks only of its own view.
  const alerts = plan.actions.filter((a): a is Extract<FailoverAction, {kind: 'alert'}> => a.kind === 'alert')
  outcome.alerts = alerts.length + (suspicion ? 1 : 0)
  if (view.complete) {
    const current = new Map<string, Incident>()
    if (suspicion) current.set(VIEW_INCIDENT, {message: suspicion.message, incident: suspicion.message})
    for (const a of alerts) current.set(a.allocationId ?? a.message, {message: a.message, incident: a.incident ?? a.message, ...(a.allocationId ? {allocationId: a.allocationId} : {})})
    // The replace step keeps its own incidents (src/monitor/replace.ts).
    const judgedKeys = (key: string): boolean => !isReplaceIncident(key) && (!outcome.standby || key === VIEW_INCIDENT)
    updateIncidents(state.alerts, current, judgedKeys, now, {
      raise: (key, alert) => {
        reporter.emit({level: 'warn', code: 'failover.alert', subject: alert.allocationId ?? (key === VIEW_INCIDENT ? 'monitor' : undefined), message: alert.message, data: {incident: key}})
        record({kind: 'alert', message: alert.message}, alert.message, 'alert')
      },
      resolve: (key, open) => {
        const message = key === VIEW_INCIDENT && verdict.believed ? verdict.believed : `resolved: ${open.message}`
        reporter.emit({level: key === VIEW_INCIDENT && verdict.believed ? 'warn' : 'info', code: 'failover.resolved', subject: key === VIEW_INCIDENT ? 'monitor' : key, message, data: {incident: key}})
        record({kind: 'alert', message}, message, 'resolved')
      },
    })
  }

  if (outcome.standby && associations.length > 0) {
    // The standby's view, not a plan: the holder's log carries the incident's one set of actions.
    const moves = associations.map(describe)
    reporter.emit({level: 'info', code: 'lease.standby', message: `another monitor holds the lease; left to it (this monitor's view: ${moves.join('; ')})`, data: {moves: associations}})
  }
  const planned = outcome.standby
    ? []
    : associations.map((action) => {
        const summary = describe(action)
        reporter.emit({level: 'info', code: 'failover.planned', subject: action.allocationId, message: summary, data: {...action, token: deps.lease?.token}})
        return {action, summary}
      })
  outcome.planned = associations.length
  // The round's moves are one step: a stop request arriving during it lets it finish, and none starts after it.
  const act = planned.length > 0 && mayAct && !deps.stopping?.() && (!deps.lease || deps.lease.mayAct())
  if (!act) for (const {action, summary} of planned) record(action, summary, 'planned')
  if (act) {
    let results: ExecutedAction[]
    try {
      results = await deps.run(associations, view.addresses, reporter)
    } catch (error) {
      reporter.emit({level: 'error', code: 'failover.failed', message: `the moves failed: ${(error as Error).message}`})
      results = associations.map((action) => ({action, outcome: 'failed' as const, detail: (error as Error).message}))
    }
    Object.assign(state, countRemaps(state, results, clock()))
    for (const result of results) {
      const action = result.action as AssociateAction
      const summary = describe(action)
      if (result.outcome === 'moved') outcome.done++
      if (result.outcome === 'failed' || result.outcome === 'unverified') outcome.failed++
      record(action, `${summary} (${result.detail})`, result.outcome === 'moved' ? 'done' : result.outcome === 'skipped' ? 'planned' : 'failed')
    }
  }

  if (settings.replace && deps.replace) {
    const replaced = await replaceStep(
      previous.replace,
      {
        view: {...view, health},
        settings: {afterMs: settings.replace.afterMs, wanted: settings.replace.wanted, topology: settings.topology},
        now,
        act: view.complete && !suspicion && mayAct && !outcome.standby && !deps.stopping?.(),
        reporter,
        run: deps.run,
        budget: {used: state.remaps.filter((r) => now - r.at < 3_600_000).length, max: settings.maxRemapsPerHour},
        alerts: state.alerts,
        record: (summary, result) => record({kind: 'replace'}, summary, result),
        clock,
      },
      deps.replace,
    )
    state.replace = replaced.state
    Object.assign(state, countRemaps(state, replaced.executed, clock()))
    outcome.alerts += replaced.alerts
    outcome.failed += replaced.failed
  }

  if (settings.dns && deps.dns && view.complete && mayAct && !deps.stopping?.()) {
    outcome.dnsPublished = await publishPool(view.addresses, settings.dns, deps.dns, state, deps, record)
  }

  // Like the pool's incidents, the lease holder's to send: a standby would send each a second time.
  if (deps.certificates && settings.tlsWarnDays !== undefined && !outcome.standby) {
    outcome.certificateAlerts = await alertCertificates(state, deps.certificates, settings.tlsWarnDays, now, reporter, record)
  }

  const counts = {healthy: 0, unhealthy: 0, unknown: 0}
  for (const p of view.proxies) counts[health[p.id] ?? 'unknown']++
  state.lastRound = {id, at: new Date(now).toISOString(), ...counts}
  return {state: pruneState(state, clock(), settings.holdDownMs), outcome, plan}
}

/** The incident key of the monitor's doubt about its own view. */
export const VIEW_INCIDENT = 'monitor.view'

interface Incident {
  message: string
  incident: string
  allocationId?: string
}

/** Raise what is new or changed, resolve what is gone; keys `judged` says this round cannot speak of are left open. */
function updateIncidents(
  open: Record<string, OpenAlert>,
  current: Map<string, Incident>,
  judged: (key: string) => boolean,
  now: number,
  on: {raise: (key: string, alert: Incident) => void; resolve: (key: string, alert: OpenAlert) => void},
): void {
  for (const [key, alert] of current) {
    if (!judged(key)) continue
    const was = open[key]
    if (was && (was.incident ?? was.message) === alert.incident) {
      open[key] = {...was, message: alert.message}
      continue
    }
    on.raise(key, alert)
    open[key] = {message: alert.message, incident: alert.incident, since: was?.since ?? now}
  }
  for (const [key, alert] of Object.entries(open)) {
    if (current.has(key) || !judged(key)) continue
    on.resolve(key, alert)
    delete open[key]
  }
}

/** Each expiring certificate once a UTC day; a source that cannot be read leaves the record as it was. */
async function alertCertificates(
  state: MonitorState,
  read: () => Promise<readonly SourceCertificate[]>,
  warnDays: number,
  now: number,
  reporter: Reporter,
  record: (action: {kind: 'alert'}, summary: string, outcome: ActionRecord['outcome']) => void,
): Promise<number> {
  let certificates: readonly SourceCertificate[]
  try {
    certificates = await read()
  } catch (error) {
    reporter.emit({level: 'debug', code: 'tls.unreadable', message: `cannot read the certificates of the source: ${(error as Error).message}`})
    return 0
  }
  const {alerts, alerted} = certificateAlerts(certificates, state.certificateAlerts ?? {}, now, warnDays)
  for (const alert of alerts) {
    reporter.emit({level: 'warn', code: 'tls.expiry', subject: alert.name, message: alert.message, data: {notAfter: alert.notAfter, daysLeft: alert.daysLeft, warnDays}})
    record({kind: 'alert'}, alert.message, 'alert')
  }
  state.certificateAlerts = alerted
  return alerts.length
}

/** This round's probes of the running proxies through the suspect-view rule. */
function judgeView(
  view: ObservedPool,
  observations: Record<string, boolean | undefined>,
  previous: MonitorState,
  counters: MonitorState['counters'],
  now: number,
  settings: MonitorSettings,
): {suspicion?: Suspicion; believed?: string} {
  const probes = Object.fromEntries(view.proxies.filter((p) => p.state === 'running').map((p) => [p.id, observations[p.id]]))
  const healthOf = (c: MonitorState['counters']): Record<string, Health> => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.health]))
  return suspectView({probes, before: healthOf(previous.counters), after: healthOf(counters), previous: previous.suspect, now, confirmMs: settings.holdDownMs})
}

/**
 * DNS lists the pool's addresses. A failover moves an address and leaves DNS
 * alone; only a change of the pool itself (an address allocated or released)
 * or of the record's ttl is published, and never an empty set. What to publish
 * is planDns's call, the one `dns publish` makes, so the two never disagree.
 */
async function publishPool(
  addresses: ElasticAddress[],
  dns: DnsSpec,
  zone: Pick<DnsZone, 'getRecordSet' | 'upsertRecordSet'>,
  state: MonitorState,
  deps: MonitorDeps,
  record: (action: {kind: 'dns'}, summary: string, outcome: ActionRecord['outcome']) => void,
): Promise<boolean> {
  const pool = addresses.map((a) => a.publicIp).sort()
  if (pool.length === 0) {
    deps.reporter.emit({level: 'warn', code: 'dns.keep', message: 'the pool has no addresses: keeping the last published record set'})
    return false
  }
  // As this monitor last published it: nothing to ask the DNS about.
  if (state.published && sameSet(state.published, pool) && state.publishedTtl === dns.ttl) return false
  try {
    const plan = planDns(await zone.getRecordSet(dns.name), addresses, dns)
    if (plan.upsert) {
      await zone.upsertRecordSet(plan.upsert)
      const summary = `published ${plan.upsert.name} A ${plan.upsert.values.join(' ')}${plan.current && plan.current.ttl !== dns.ttl ? ` (ttl ${plan.current.ttl} → ${dns.ttl})` : ''}`
      deps.reporter.emit({level: 'info', code: 'dns.published', subject: dns.name, message: summary, data: {values: plan.upsert.values, ttl: dns.ttl}})
      record({kind: 'dns'}, summary, 'done')
    }
    state.published = pool
    state.publishedTtl = dns.ttl
    return plan.upsert !== undefined
  } catch (error) {
    deps.reporter.emit({level: 'error', code: 'dns.failed', subject: dns.name, message: `cannot publish the pool: ${(error as Error).message}`})
    return false
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i])
}
