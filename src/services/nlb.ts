/**
 * topology nlb: `proxy launch` makes the balancer's missing parts (launch
 * template, target groups, load balancer, listeners, scaling group),
 * `proxy scale` sets the group's count, `proxy terminate` drains a proxy off
 * the balancer and ends it through the group. Each plans ProviderOperations:
 * `--dry-run` prints them, a real run runs the same list.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {MissingCapabilityError, need, type BalancerSetup, type Cloud, type LoadBalancer, type ScalingGroup} from '../cloud/capabilities.js'
import {planBalancerSetup, planScale} from '../cloud/balancer-plan.js'
import {describeOperation, describePart, type BalancerPart, type ProviderOperation} from '../cloud/operations.js'
import type {ProxyInstance} from '../cloud/provider.js'
import {runOperations} from '../cloud/run-operation.js'
import {ExitCode, UnhealthyError, UsageError} from '../errors.js'
import type {ConnectOptions} from '../remote/connect.js'
import {withFailoverLock} from '../failover/lock.js'
import {stateFilePath} from '../monitor/state.js'
import {poll} from '../util/poll.js'
import {clusterCloud, dryRunReport, type CloudServiceOptions, type DryRunReport} from './cloud.js'
import {admitPending, type AdmitHost} from './admit.js'
import {listTls} from './tls.js'

function setupOf(cloud: Cloud): BalancerSetup {
  if (!cloud.balancerSetup) throw new MissingCapabilityError('balancer', cloud.kind)
  return cloud.balancerSetup
}

/**
 * The ports the balancer listens on: firewall.public when the cluster file
 * names them (the ports the world reaches), else the port the proxies serve
 * (health.proxy.port) and the HTTPS ports of the certificates the source
 * config serves.
 */
export async function balancerPorts(options: Pick<CloudServiceOptions, 'cluster'>): Promise<number[]> {
  const {spec} = options.cluster
  if (spec.firewall?.public) return [...new Set(spec.firewall.public)].sort((a, b) => a - b)
  // A source config that cannot be read yet has no TLS listener to forward to: the launch still makes the HTTP side.
  const tls = await listTls({cluster: options.cluster}).catch(() => undefined)
  const https = (tls?.certificates ?? []).filter((c) => c.servedBy.length > 0).map((c) => c.port ?? spec.tls.port)
  return [...new Set([spec.health.proxy.port, ...https])].sort((a, b) => a - b)
}

export interface NlbLaunchReport {
  changed: boolean
  summary: string
  wanted: number
  existing: number
  launched: ProxyInstance[]
  placements: []
  /** The parts made (or, with --dry-run, to be made). */
  created: string[]
  ports: number[]
  dryRun?: DryRunReport
  /** New proxies held by the launch hook that were admitted (pushed, then let into the balancer) or left waiting. */
  admission?: AdmitHost[]
  /** 4 when a new proxy could not be admitted. */
  exitCode?: number
}

export interface NlbLaunchOptions extends CloudServiceOptions, ConnectOptions {
  count?: number
  waitTimeoutMs?: number
  /** Admit the proxies held by the launch hook (push first); false leaves them waiting for `hactl proxy admit`. */
  push?: boolean
  reachTimeoutMs?: number
}

export async function launchNlb(options: NlbLaunchOptions, cloud: Cloud): Promise<NlbLaunchReport> {
  const setup = setupOf(cloud)
  const scaling = need(cloud, 'scaling')
  const wanted = options.count ?? options.cluster.spec.proxy.instances.count
  const ports = await balancerPorts(options)
  const [parts, group, before] = await Promise.all([setup.observeParts(), scaling.describeGroup(), cloud.hosts.listProxies()])
  const steps = planBalancerSetup(parts, {ports, count: wanted})
  const operations: ProviderOperation[] = [...steps.map((part) => ({op: 'createBalancerPart', part}) as const), ...(group ? planScale(group, wanted) : [])]
  const created = operations.map((o) => (o.op === 'createBalancerPart' ? describePart(o.part) : describeOperation(o)))
  const base = {wanted, existing: before.length, placements: [] as [], ports, created}
  // Proxies a run before left waiting on the launch hook are admitted by this one, even when nothing is to be made.
  const held = (group?.instances ?? []).filter((i) => i.lifecycle === PENDING_WAIT).length
  if (operations.length === 0 && (held === 0 || options.dryRun || options.push === false)) {
    const waits = held > 0 ? `; ${held} new ${held === 1 ? 'proxy waits' : 'proxies wait'} outside the balancer for \`hactl proxy admit\`` : ''
    return {...base, changed: false, summary: `the balancer (ports ${ports.join(', ')}) and its scaling group of ${wanted} are in place: nothing changed${waits}`, launched: [], created: []}
  }
  if (options.dryRun) {
    return {...base, changed: false, summary: `would create or set: ${created.join('; ')}`, launched: [], dryRun: await dryRunReport(cloud, operations, options.checkPermissions)}
  }
  if (operations.length > 0) {
    await runOperations(cloud, operations, {
      before: (o) => options.reporter.emit({level: 'info', code: 'proxy.balancer', message: o.op === 'createBalancerPart' ? `${partVerb(o.part)} the ${describePart(o.part)}` : describeOperation(o)}),
    })
  }
  const wait = await admitUntilInService(cloud, scaling, wanted, options, options.waitTimeoutMs ?? 600_000)
  const known = new Set(before.map((p) => p.id))
  const launched = (await cloud.hosts.listProxies()).filter((p) => [...wait.inService, ...wait.waiting.map((w) => w.id)].includes(p.id) && !known.has(p.id))
  const made = `${created.length > 0 ? `made ${created.join('; ')}` : 'the balancer and its scaling group were in place'}; the scaling group runs ${wait.inService.length} proxies behind the balancer`
  const admission = wait.admission.length > 0 ? {admission: wait.admission} : {}
  const changed = operations.length > 0 || wait.admission.some((h) => h.outcome === 'admitted')
  if (wait.waiting.length === 0) return {...base, changed, summary: made, launched, ...admission}
  const list = wait.waiting.map((w) => `${w.host} (${w.message ?? 'not admitted'})`).join(', ')
  const next =
    options.push === false
      ? `${list} wait${wait.waiting.length === 1 ? 's' : ''} outside the balancer: run \`hactl proxy admit\` to push the source config and let ${wait.waiting.length === 1 ? 'it' : 'them'} in`
      : `${list} wait${wait.waiting.length === 1 ? 's' : ''} outside the balancer without the source config: fix the cause and run \`hactl proxy admit\` before the launch hook times out (${Math.round(LAUNCH_HOOK_TIMEOUT_MS / 60_000)} min), or the group replaces ${wait.waiting.length === 1 ? 'it' : 'them'}`
  return {...base, changed, summary: `${made}; ${next}`, launched, ...admission, exitCode: ExitCode.partial}
}

/** The launch hook's heartbeat timeout on AWS (see src/cloud/aws/nlb.ts), for what the operator reads. */
const LAUNCH_HOOK_TIMEOUT_MS = 600_000

function partVerb(part: BalancerPart): string {
  if (part.part === 'targetGroupAttributes' || part.part === 'balancerAttributes') return 'setting'
  return part.part === 'attachTargetGroup' ? 'making' : 'creating'
}

const PENDING_WAIT = 'Pending:Wait'

interface Admission {
  inService: string[]
  /** Held by the launch hook and not admitted: their push failed, or (--no-push) none was tried. */
  waiting: AdmitHost[]
  admission: AdmitHost[]
}

/**
 * Until the group has `count` instances in service, admitting each that the
 * launch hook holds (push, then CONTINUE) as it appears; progress when the
 * count changes. One whose push failed is not tried again here: when every
 * instance is either in service or such a one, waiting longer changes nothing.
 */
async function admitUntilInService(cloud: Cloud, scaling: ScalingGroup, count: number, options: NlbLaunchOptions, timeoutMs: number): Promise<Admission> {
  const deadline = Date.now() + timeoutMs
  const admission: AdmitHost[] = []
  const failed = new Map<string, AdmitHost>()
  let last = -1
  let delay = 500
  for (;;) {
    const g = await scaling.describeGroup()
    const inService = (g?.instances ?? []).filter((i) => i.lifecycle === 'InService').map((i) => i.instanceId)
    const held = (g?.instances ?? []).filter((i) => i.lifecycle === PENDING_WAIT).map((i) => i.instanceId)
    if (inService.length !== last) options.reporter.emit({level: 'info', code: 'proxy.wait', message: `${inService.length}/${count} in service${held.length > 0 ? `, ${held.length} waiting for the source config` : ''}`})
    last = inService.length
    if (inService.length >= count) return {inService, waiting: [], admission}
    if (options.push === false && inService.length + held.length >= count) {
      return {inService, waiting: held.map((id) => ({id, host: id, outcome: 'waiting', message: 'not pushed (--no-push)'})), admission}
    }
    const fresh = held.filter((id) => !failed.has(id))
    if (fresh.length > 0 && options.push !== false) {
      const report = await admitPending({...options, only: fresh}, cloud)
      for (const h of report.hosts) {
        if (h.outcome === 'waiting' && h.message === 'not running yet') continue
        admission.push(h)
        if (h.outcome === 'waiting') failed.set(h.id, h)
        else delay = 500
      }
    }
    const stuck = held.filter((id) => failed.has(id))
    if (stuck.length > 0 && inService.length + stuck.length >= count) return {inService, waiting: stuck.map((id) => failed.get(id) as AdmitHost), admission}
    if (Date.now() >= deadline) {
      if (stuck.length > 0) return {inService, waiting: stuck.map((id) => failed.get(id) as AdmitHost), admission}
      throw new UnhealthyError(`${count - inService.length} of ${count} proxies of the scaling group are not in service after ${Math.round(timeoutMs / 1000)} s`, {
        actions: ['Look at the group in the AWS console (its activity history says why); `hactl proxy launch` again creates nothing more.'],
      })
    }
    await sleep(delay)
    delay = Math.min(delay * 2, 5000)
  }
}

export interface ScaleReport {
  changed: boolean
  summary: string
  from?: {min: number; max: number; desired: number}
  to: number
  dryRun?: DryRunReport
}

export async function scaleProxies(options: CloudServiceOptions & {count: number}): Promise<ScaleReport> {
  const cloud = await clusterCloud(options)
  if (options.cluster.spec.topology !== 'nlb') {
    throw new UsageError(`proxy scale applies to topology nlb (this cluster is ${options.cluster.spec.topology})`, {
      actions: ['Run `hactl proxy launch --count N` to add proxies, `hactl proxy terminate ID` to remove one.'],
    })
  }
  const scaling = need(cloud, 'scaling')
  const group = await scaling.describeGroup()
  if (!group) throw new UsageError('the cluster has no scaling group yet', {actions: ['Run `hactl proxy launch` first.']})
  const from = {min: group.min, max: group.max, desired: group.desired}
  const operations = planScale(group, options.count)
  if (operations.length === 0) return {changed: false, summary: `the scaling group already runs ${options.count} proxies (min = max = desired): nothing changed`, from, to: options.count}
  if (options.dryRun) {
    return {changed: false, summary: `would set the scaling group from ${group.desired} to ${options.count} proxies`, from, to: options.count, dryRun: await dryRunReport(cloud, operations, options.checkPermissions)}
  }
  await runOperations(cloud, operations)
  options.reporter.emit({level: 'info', code: 'proxy.scale', subject: group.name, message: `${group.desired} → ${options.count}`})
  return {changed: true, summary: `the scaling group now keeps ${options.count} proxies (was ${group.desired}); it launches or ends instances to match`, from, to: options.count}
}

export interface GroupTerminateReport {
  changed: boolean
  summary: string
  moved: []
  drained?: boolean
  dryRun?: DryRunReport
}

/**
 * End a proxy through the scaling group: deregister it from the balancer
 * first and wait while its connections drain (up to the deregistration
 * delay), then terminate it; the group launches a replacement unless
 * `decrement`, which lowers the count instead.
 */
export async function terminateInGroup(options: CloudServiceOptions & {id: string; decrement?: boolean; drain?: boolean; drainTimeoutMs?: number}, cloud: Cloud): Promise<GroupTerminateReport> {
  const scaling = need(cloud, 'scaling')
  const balancer = need(cloud, 'balancer')
  const work = async (): Promise<GroupTerminateReport> => {
    const [proxies, group, view] = await Promise.all([cloud.hosts.listProxies(), scaling.describeGroup(), balancer.describeBalancer()])
    const proxy = proxies.find((p) => p.id === options.id || p.name === options.id)
    if (!proxy) return {changed: false, summary: `${options.id} is not (or no longer) a proxy of this cluster: nothing to terminate`, moved: []}
    if (!group?.instances.some((i) => i.instanceId === proxy.id)) {
      throw new UsageError(`${proxy.id} is not in the cluster's scaling group: the group would not know it is gone`, {
        actions: ['Run `hactl proxy list` to see the group\'s proxies; terminate one of them, or this one from the AWS console.'],
      })
    }
    const decrement = options.decrement === true
    const registered = (view?.targets ?? []).some((t) => t.instanceId === proxy.id && t.state !== 'draining' && t.state !== 'unused')
    const drain = options.drain !== false && registered
    const operations: ProviderOperation[] = [{op: 'terminateInGroup', instanceId: proxy.id, decrement}]
    if (drain) operations.unshift({op: 'deregisterTargets', instanceIds: [proxy.id]})
    const after = decrement ? `; the group keeps ${group.desired - 1}` : '; the group launches a replacement'
    if (options.dryRun) {
      return {changed: false, summary: `would ${drain ? 'drain and ' : ''}terminate ${proxy.id}${after}`, moved: [], drained: drain, dryRun: await dryRunReport(cloud, operations, options.checkPermissions)}
    }
    await runOperations(cloud, operations, {
      after: async (_result, o) => {
        if (o.op !== 'deregisterTargets') return
        await waitDrained(balancer, proxy.id, options, options.drainTimeoutMs ?? options.cluster.spec.balancer.deregistrationDelay)
      },
    })
    options.reporter.emit({level: 'info', code: 'proxy.terminate', subject: proxy.id, message: 'terminated through the scaling group'})
    return {changed: true, summary: `terminated ${proxy.id}${drain ? ' after draining it off the balancer' : ''}${after}`, moved: [], drained: drain}
  }
  return options.dryRun ? work() : withFailoverLock(stateFilePath(options.cluster), work)
}

/** Until the balancer no longer lists the proxy, at most the deregistration delay: past it the balancer cuts what is left. */
async function waitDrained(balancer: LoadBalancer, id: string, options: CloudServiceOptions, timeoutMs: number): Promise<void> {
  options.reporter.emit({level: 'info', code: 'proxy.drain', subject: id, message: `draining for up to ${Math.round(timeoutMs / 1000)} s`})
  const listed = (view: Awaited<ReturnType<LoadBalancer['describeBalancer']>>): boolean => (view?.targets ?? []).some((t) => t.instanceId === id && t.state !== 'unused')
  const {done} = await poll(() => balancer.describeBalancer(), (view) => !listed(view), {timeoutMs, delayMs: 1000, maxDelayMs: 10_000})
  options.reporter.emit({level: done ? 'info' : 'warn', code: 'proxy.drain', subject: id, message: done ? 'drained' : 'the deregistration delay is over: terminating'})
}
