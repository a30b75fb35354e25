/**
 * topology nlb on AWS: the proxies the scaling group launches wait outside
 * the balancer (an Auto Scaling launch lifecycle hook) until hactl has pushed
 * the source config to them; then their wait ends with CONTINUE and the group
 * puts them into the target groups. `proxy launch` admits the proxies it
 * waits for, `proxy admit` (meant for cron) the replacements the group
 * launches later.
 *
 * A proxy whose push fails is left waiting, not abandoned: the cause is often
 * on this side (a key, known_hosts, a source config the validator rejects),
 * and abandoning at once would have the group launch one instance after
 * another into the same failure. Until the hook's heartbeat timeout a later
 * run can still admit it; past it the hook's default result (ABANDON) has
 * the group replace it, so an instance nobody gave the config never serves.
 */
import type {Cloud} from '../cloud/capabilities.js'
import {need} from '../cloud/capabilities.js'
import type {ProviderOperation} from '../cloud/operations.js'
import type {ProxyInstance} from '../cloud/provider.js'
import {runOperation} from '../cloud/run-operation.js'
import {ExitCode} from '../errors.js'
import type {ConnectOptions} from '../remote/connect.js'
import {clusterCloud, dryRunReport, type CloudServiceOptions, type DryRunReport} from './cloud.js'

export interface AdmitOptions extends CloudServiceOptions, ConnectOptions {
  /** Only these instances (the ones a launch waits for); default every waiting one. */
  only?: readonly string[]
  /** How long a new proxy may take to answer SSH before its push counts as failed (default 5 min). */
  reachTimeoutMs?: number
}

export interface AdmitHost {
  id: string
  host: string
  /** admitted: the source is on it and it joins the balancer; waiting: left out (see message). */
  outcome: 'admitted' | 'waiting'
  message?: string
}

export interface AdmitReport {
  changed: boolean
  summary: string
  /** Instances that waited for admission when the run began. */
  pending: string[]
  admitted: string[]
  /** Left waiting: their push failed or they do not run yet. */
  waiting: string[]
  hosts: AdmitHost[]
  dryRun?: DryRunReport
  /** 4 when a waiting proxy could not be admitted. */
  exitCode?: number
}

const LEFT = 'it stays out of the balancer; `hactl proxy admit` again once the cause is fixed, or the group replaces it when the launch hook times out'

/** Push the source config to the proxies that wait on the launch hook, and let those that serve it join the balancer. */
export async function admitPending(options: AdmitOptions, given?: Cloud): Promise<AdmitReport> {
  const cloud = given ?? (await clusterCloud(options))
  const scaling = need(cloud, 'scaling')
  if (!scaling.pendingLaunches || !scaling.admitLaunch) {
    return {changed: false, summary: `provider ${cloud.kind}: new proxies start from the source config and join the balancer at once; nothing waits`, pending: [], admitted: [], waiting: [], hosts: []}
  }
  const pending = (await scaling.pendingLaunches()).filter((id) => !options.only || options.only.includes(id))
  if (pending.length === 0) return {changed: false, summary: 'no proxy waits to join the balancer: nothing to admit', pending, admitted: [], waiting: [], hosts: []}
  const proxies = (await cloud.hosts.listProxies()).filter((p) => pending.includes(p.id))
  const running = proxies.filter((p) => p.state === 'running')
  const nameOf = (id: string): string => proxies.find((p) => p.id === id)?.name ?? id
  const notRunning: AdmitHost[] = pending
    .filter((id) => !running.some((p) => p.id === id))
    .map((id) => ({id, host: nameOf(id), outcome: 'waiting', message: 'not running yet'}))
  if (options.dryRun) {
    const operations: ProviderOperation[] = running.map((p) => ({op: 'admitLaunch', instanceId: p.id, result: 'continue'}))
    return {
      changed: false,
      summary: `would push the source config to ${pending.map(nameOf).join(', ')} and let ${running.length === 1 ? 'it' : 'those it reaches'} join the balancer`,
      pending,
      admitted: [],
      waiting: [],
      hosts: [],
      dryRun: await dryRunReport(cloud, operations, options.checkPermissions),
    }
  }
  const pushed = await pushTo(options, running)
  const hosts: AdmitHost[] = [...notRunning]
  for (const p of running) {
    const seen = pushed.hosts.find((h) => h.id === p.id)
    if (!pushed.ready.includes(p.id)) {
      hosts.push({id: p.id, host: nameOf(p.id), outcome: 'waiting', message: seen?.message ?? seen?.summary ?? 'the push did not reach it'})
      continue
    }
    // Only now, with the source on it: the group puts it into the target groups.
    await admit(cloud, p.id, scaling.pendingLaunches.bind(scaling))
    options.reporter.emit({level: 'info', code: 'proxy.admit', subject: nameOf(p.id), message: 'the source config is on it: joining the balancer'})
    hosts.push({id: p.id, host: nameOf(p.id), outcome: 'admitted'})
  }
  for (const h of hosts) if (h.outcome === 'waiting') options.reporter.emit({level: 'warn', code: 'proxy.admit', subject: h.host, message: `not admitted (${h.message}): ${LEFT}`})
  const admitted = hosts.filter((h) => h.outcome === 'admitted').map((h) => h.id)
  const waiting = hosts.filter((h) => h.outcome === 'waiting').map((h) => h.id)
  const summary = [
    admitted.length > 0 ? `admitted ${admitted.map(nameOf).join(', ')} into the balancer after pushing the source config` : '',
    waiting.length > 0 ? `NOT admitted: ${hosts.filter((h) => h.outcome === 'waiting').map((h) => `${h.host} (${h.message})`).join(', ')}: ${LEFT}` : '',
  ].filter(Boolean).join('; ')
  return {changed: admitted.length > 0, summary, pending, admitted, waiting, hosts, ...(waiting.length > 0 ? {exitCode: ExitCode.partial} : {})}
}

async function pushTo(options: AdmitOptions, running: ProxyInstance[]): Promise<{ready: string[]; hosts: {id: string; summary: string; message?: string}[]}> {
  if (running.length === 0) return {ready: [], hosts: []}
  const {pushBeforeTraffic} = await import('./converge.js')
  options.reporter.emit({level: 'info', code: 'proxy.push', message: `pushing the source config to ${running.map((p) => p.name ?? p.id).join(', ')} before they join the balancer`})
  return pushBeforeTraffic(options.cluster, running, {
    reporter: options.reporter,
    acceptNew: options.acceptNew,
    askPassphrase: options.askPassphrase,
    waitReachableMs: options.reachTimeoutMs ?? 300_000,
  })
}

/**
 * Another hactl (a launch, `proxy admit` from cron) may have admitted it
 * meanwhile, and AWS refuses to complete an action twice: refused, and no
 * longer waiting, it is in.
 */
async function admit(cloud: Cloud, id: string, pendingLaunches: () => Promise<string[]>): Promise<void> {
  try {
    await runOperation(cloud, {op: 'admitLaunch', instanceId: id, result: 'continue'})
  } catch (error) {
    if ((await pendingLaunches().catch(() => [id])).includes(id)) throw error
  }
}
