/**
 * The monitor's replace step (`failover.replace`): the planner's decisions
 * carried out, one step of each replacement a round at most (launch, push,
 * rise, move, terminate; see replace-plan.ts). Each step is an event and a
 * line in the monitor's last actions; the state it leaves is written with
 * the round's, so a restarted monitor picks up where this one stopped.
 */
import type {ProxyInstance} from '../cloud/provider.js'
import type {ExecutedAction} from '../failover/executor.js'
import type {Reporter} from '../events.js'
import {describeReplacement, planMoves, planReplace, type Replacement, type ReplaceSettings, type ReplaceState, type ReplaceStep, type ReplaceView} from './replace-plan.js'
import type {ActionRunner, AssociateAction} from './actions.js'
import type {OpenAlert} from './state.js'

export interface ReplaceDeps {
  /** Starts one proxy in the zone (pairs: in the pair); the same token names the same launch. */
  launch: (placement: {zone: string; pair?: string}, clientToken: string) => Promise<ProxyInstance>
  /** The current source config onto the new proxy; throws when it did not take it. */
  push: (proxy: ProxyInstance) => Promise<void>
  terminate: (id: string) => Promise<void>
}

export interface ReplaceContext {
  view: ReplaceView
  settings: ReplaceSettings
  now: number
  /** The round may act: the lease holder, a view it believes, no stop requested. */
  act: boolean
  reporter: Reporter
  run: ActionRunner
  /** Remaps in the last hour and the hourly cap (failover.maxRemapsPerHour). */
  budget: {used: number; max: number}
  /** The monitor's open alerts; the replace incidents (`replace.*`) are kept here by this step. */
  alerts: Record<string, OpenAlert>
  record: (summary: string, outcome: 'alert' | 'done' | 'failed' | 'planned' | 'resolved') => void
  clock: () => number
}

export interface ReplaceOutcome {
  state: ReplaceState
  /** The moves issued, for the remap bookkeeping. */
  executed: ExecutedAction[]
  alerts: number
  failed: number
}

/** The incident key of the more-than-half guard. */
export const REPLACE_GUARD = 'replace.guard'
/** Incident keys this step owns: the round's incident bookkeeping leaves them alone. */
export const isReplaceIncident = (key: string): boolean => key.startsWith('replace.')

/** A step that failed is tried again after 1 s, 2 s, 4 s … up to a minute: a booting host refuses for a while. */
function retryDue(r: Replacement, now: number): boolean {
  return r.attempts === 0 || now - r.stepSince >= Math.min(60_000, 1000 * 2 ** (r.attempts - 1))
}

function advance(r: Replacement, step: ReplaceStep | 'done', at: number): void {
  r.times = {...r.times, [step]: at}
  if (step !== 'done') {
    r.step = step
    r.stepSince = at
    r.attempts = 0
  }
}

function fail(r: Replacement, at: number): void {
  r.attempts++
  r.stepSince = at
}

export async function replaceStep(previous: ReplaceState | undefined, ctx: ReplaceContext, deps: ReplaceDeps): Promise<ReplaceOutcome> {
  const {reporter, now} = ctx
  const plan = planReplace(previous, ctx.view, ctx.settings, now)
  for (const note of plan.notes) reporter.emit({level: 'debug', code: 'replace.note', message: note})
  const out: ReplaceOutcome = {state: plan.state, executed: [], alerts: 0, failed: 0}
  if (!ctx.act) return out

  guardAlert(plan.guard, ctx)
  if (plan.guard) out.alerts++
  for (const r of plan.started) {
    r.times = {dead: plan.state.deadSince[r.dead] ?? now, launch: now}
    const message = `${describeReplacement(r, now)} (dead for ${Math.round((now - (plan.state.deadSince[r.dead] ?? now)) / 1000)} s, failover.replace.after ${ctx.settings.afterMs} ms)`
    reporter.emit({level: 'warn', code: 'replace.started', subject: r.dead, message, data: {zone: r.zone, pair: r.pair, why: r.why, addresses: r.addresses}})
    ctx.record(message, 'planned')
  }
  for (const r of plan.adopted) {
    reporter.emit({level: 'info', code: 'replace.adopted', subject: r.dead, message: `found ${r.replacement} launched by an earlier run to replace ${r.dead}: carrying on with it`})
  }

  const started = new Set(plan.started)
  for (const r of plan.state.inFlight) {
    // Decided this round: the launch comes next round, once the decision is on disk (a restart finds it, not a second launch).
    if (started.has(r) || !retryDue(r, now)) continue
    await carryOn(r, ctx, deps, out)
  }
  const done = new Set(plan.state.inFlight.filter((r) => r.times?.done !== undefined))
  for (const r of done) {
    delete out.state.known[r.dead]
    delete out.state.deadSince[r.dead]
  }
  out.state = {...out.state, inFlight: out.state.inFlight.filter((r) => !done.has(r))}
  budgetAlert(out.state.inFlight, ctx, out)
  stuckAlerts(out.state.inFlight, ctx, out)
  return out
}

/** A step that has not finished in this long is alerted (once): a new AWS host may take minutes to boot, not ten. */
export const STUCK_MS = 10 * 60_000

/** Replacements stuck at a step: one alert each, resolved when it moves on or is done; the replacement keeps trying. */
function stuckAlerts(inFlight: Replacement[], ctx: ReplaceContext, out: ReplaceOutcome): void {
  const stuck = new Map<string, string>()
  for (const r of inFlight) {
    const since = r.times?.[r.step] ?? r.stepSince
    if (ctx.now - since < STUCK_MS) continue
    stuck.set(`replace.stuck.${r.dead}.${r.step}`, `${describeReplacement(r, ctx.now)}: stuck at this step for ${Math.round((ctx.now - since) / 60_000)} min (${r.attempts} failed tries); see the replace.failed events, fix the cause or replace ${r.dead} by hand`)
  }
  for (const [key, message] of stuck) {
    out.alerts++
    if (ctx.alerts[key]) continue
    ctx.alerts[key] = {message, incident: key, since: ctx.now}
    ctx.reporter.emit({level: 'warn', code: 'failover.alert', subject: 'monitor', message, data: {incident: key}})
    ctx.record(message, 'alert')
  }
  for (const [key, open] of Object.entries(ctx.alerts)) {
    if (!key.startsWith('replace.stuck.') || stuck.has(key)) continue
    delete ctx.alerts[key]
    ctx.reporter.emit({level: 'info', code: 'failover.resolved', subject: 'monitor', message: `resolved: ${open.message}`, data: {incident: key}})
    ctx.record(`resolved: ${open.message}`, 'resolved')
  }
}

/** The steps of one replacement this round allows: each waits for what the one before it made true. */
async function carryOn(r: Replacement, ctx: ReplaceContext, deps: ReplaceDeps, out: ReplaceOutcome): Promise<void> {
  const {reporter, view} = ctx
  const name = r.replacement
  if (r.step === 'launch') {
    try {
      const proxy = await deps.launch({zone: r.zone, ...(r.pair ? {pair: r.pair} : {})}, `hactl-replace-${r.dead}-${r.startedAt}`.slice(0, 64))
      Object.assign(r, {replacement: proxy.id, ...(proxy.name ? {replacementName: proxy.name} : {})})
      advance(r, 'push', ctx.clock())
      const message = `launched ${proxy.id} in ${r.zone}${r.pair ? ` into ${r.pair}` : ''} to replace ${r.dead}`
      reporter.emit({level: 'info', code: 'replace.launched', subject: r.dead, message, data: {replacement: proxy.id, replacementName: proxy.name, deadName: r.deadName, zone: r.zone, pair: r.pair}})
      ctx.record(message, 'done')
    } catch (error) {
      stepFailed(r, 'launch', error, ctx, out)
    }
    return
  }
  const proxy = view.proxies.find((p) => p.id === r.replacement)
  if (r.step === 'push') {
    if (!proxy || proxy.state !== 'running') {
      reporter.emit({level: 'debug', code: 'replace.waiting', subject: r.dead, message: `${name} is ${proxy?.state ?? 'not listed yet'}: the push waits for it to run`})
      return
    }
    try {
      await deps.push(proxy)
      advance(r, 'rise', ctx.clock())
      const message = `pushed the current config to ${name}`
      reporter.emit({level: 'info', code: 'replace.pushed', subject: r.dead, message, data: {replacement: r.replacement}})
      ctx.record(message, 'done')
    } catch (error) {
      stepFailed(r, 'push', error, ctx, out)
    }
    return
  }
  if (r.step === 'rise') {
    if (ctx.view.health[r.replacement ?? ''] !== 'healthy') return
    advance(r, 'move', ctx.now)
    reporter.emit({level: 'info', code: 'replace.healthy', subject: r.dead, message: `${name} answers its probe: healthy`, data: {replacement: r.replacement}})
  }
  if (r.step === 'move') {
    const {moves, waiting} = planMoves(r, view, ctx.settings.topology, ctx.budget)
    const actions: AssociateAction[] = moves.map((m) => ({
      kind: 'associate',
      allocationId: m.allocationId,
      publicIp: m.publicIp,
      ...(m.from ? {from: m.from} : {}),
      to: m.to,
      toZone: r.zone,
      reason: `back to the replacement of ${r.dead}`,
    }))
    if (actions.length > 0) {
      const results = await ctx.run(actions, view.addresses, reporter).catch((error: Error) =>
        actions.map((action) => ({action, outcome: 'failed' as const, detail: error.message})),
      )
      out.executed.push(...results)
      ctx.budget.used += results.filter((x) => x.outcome === 'moved' && (x.action as AssociateAction).from).length
      const bad = results.filter((x) => x.outcome !== 'moved')
      for (const x of results) {
        const a = x.action as AssociateAction
        const message = x.outcome === 'moved' ? `${a.publicIp} back on ${name}${a.from ? ` (from ${a.from})` : ''}, verified` : `${a.publicIp} not moved to ${name}: ${x.detail}`
        reporter.emit({level: x.outcome === 'moved' ? 'info' : 'warn', code: x.outcome === 'moved' ? 'replace.moved' : 'replace.failed', subject: r.dead, message, data: {publicIp: a.publicIp, to: a.to}})
        ctx.record(message, x.outcome === 'moved' ? 'done' : 'failed')
      }
      if (bad.length > 0) {
        out.failed += bad.length
        fail(r, ctx.clock())
        return
      }
    }
    if (waiting.length > 0) {
      r.waiting = waiting.map((m) => m.publicIp)
      return
    }
    delete r.waiting
    advance(r, 'terminate', ctx.clock())
  }
  if (r.step === 'terminate') {
    const still = view.proxies.find((p) => p.id === r.dead)
    try {
      if (still && still.state !== 'terminated') {
        await deps.terminate(r.dead)
        const message = `terminated ${r.dead}: ${name} took its place`
        reporter.emit({level: 'info', code: 'replace.terminated', subject: r.dead, message})
        ctx.record(message, 'done')
      }
    } catch (error) {
      stepFailed(r, 'terminate', error, ctx, out)
      return
    }
    advance(r, 'done', ctx.clock())
    const times = r.times ?? {}
    const message = `replaced ${r.dead} by ${name} in ${Math.round(((times.done ?? 0) - r.startedAt) / 100) / 10} s (${Math.round(((times.done ?? 0) - (times.dead ?? r.startedAt)) / 100) / 10} s since it was seen dead)`
    reporter.emit({level: 'info', code: 'replace.done', subject: r.dead, message, data: {replacement: r.replacement, replacementName: r.replacementName, deadName: r.deadName, times}})
    ctx.record(message, 'done')
  }
}

function stepFailed(r: Replacement, step: ReplaceStep, error: unknown, ctx: ReplaceContext, out: ReplaceOutcome): void {
  fail(r, ctx.clock())
  out.failed++
  const message = `${step} for the replacement of ${r.dead} failed (try ${r.attempts}): ${(error as Error)?.message ?? String(error)}; trying again`
  ctx.reporter.emit({level: 'warn', code: 'replace.failed', subject: r.dead, message, data: {step, attempts: r.attempts}})
  ctx.record(message, 'failed')
}

/** The guard's alert once per incident, and its end. */
function guardAlert(guard: string | undefined, ctx: ReplaceContext): void {
  const open = ctx.alerts[REPLACE_GUARD]
  if (guard && !open) {
    ctx.alerts[REPLACE_GUARD] = {message: guard, incident: REPLACE_GUARD, since: ctx.now}
    ctx.reporter.emit({level: 'warn', code: 'failover.alert', subject: 'monitor', message: guard, data: {incident: REPLACE_GUARD}})
    ctx.record(guard, 'alert')
  } else if (guard && open) {
    open.message = guard
  } else if (!guard && open) {
    delete ctx.alerts[REPLACE_GUARD]
    const message = `resolved: ${open.message}`
    ctx.reporter.emit({level: 'info', code: 'failover.resolved', subject: 'monitor', message, data: {incident: REPLACE_GUARD}})
    ctx.record(message, 'resolved')
  }
}

/** Moves back that wait for the remap budget: one alert while they wait. */
function budgetAlert(inFlight: Replacement[], ctx: ReplaceContext, out: ReplaceOutcome): void {
  const key = 'replace.budget'
  const waiting = inFlight.flatMap((r) => (r.waiting ?? []).map((ip) => `${ip} → ${r.replacement}`))
  const open = ctx.alerts[key]
  if (waiting.length > 0) {
    out.alerts++
    if (open) return
    const message = `the remap budget (failover.maxRemapsPerHour ${ctx.budget.max}) is spent: ${waiting.join(', ')} wait for it; the dead proxies are kept until then`
    ctx.alerts[key] = {message, incident: key, since: ctx.now}
    ctx.reporter.emit({level: 'warn', code: 'failover.alert', subject: 'monitor', message, data: {incident: key}})
    ctx.record(message, 'alert')
  } else if (open) {
    delete ctx.alerts[key]
    ctx.reporter.emit({level: 'info', code: 'failover.resolved', subject: 'monitor', message: `resolved: ${open.message}`, data: {incident: key}})
    ctx.record(`resolved: ${open.message}`, 'resolved')
  }
}
