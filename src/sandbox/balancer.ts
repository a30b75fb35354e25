import {createServer, type Server, type Socket} from 'node:net'

import type {BalancerTarget, TargetState} from '../cloud/capabilities.js'
import type {Reporter} from '../events.js'
import {probe, type ProbeKind} from '../health/probe.js'
import {splice} from './forwarder.js'
import {listenOrExplain} from './listen.js'

/** The balancer's own health check of its targets (an NLB target group's). */
export interface TargetCheck {
  kind: ProbeKind
  port: number
  path: string
  host?: string
  expectStatus: string
  timeoutMs: number
  intervalMs: number
  healthyThreshold: number
  unhealthyThreshold: number
}

/** A target as the state file has it: a registered proxy, or one being deregistered since `deregisteredAt`. */
export interface TargetSpec {
  instanceId: string
  name: string
  address: string
  deregisteredAt?: number
}

interface Target {
  spec: TargetSpec
  state: TargetState
  reason?: string
  /** Consecutive results in one direction: rises toward healthyThreshold, falls toward unhealthyThreshold. */
  passed: number
  failed: number
  open: Set<Socket>
  timer?: NodeJS.Timeout
  drainTimer?: NodeJS.Timeout
  checking: boolean
}

/**
 * An L4 balancer as an NLB behaves: each new TCP connection goes to one
 * healthy target (round robin), spliced byte for byte; an open connection
 * stays where it is. Targets are checked by the balancer itself, each on
 * its own interval, and change state only after healthyThreshold or
 * unhealthyThreshold results in a row. When no target is healthy it fails
 * open (every registered target gets new connections), as an NLB does. A
 * target being deregistered drains: no new connections, open ones kept
 * until the deregistration delay ends.
 */
export class LocalBalancer {
  private readonly servers: Server[] = []
  private readonly targets = new Map<string, Target>()
  private next = 0

  constructor(
    readonly host: string,
    readonly ports: number[],
    private readonly check: TargetCheck,
    private readonly drainMs: number,
    private readonly reporter: Reporter,
  ) {}

  async start(): Promise<void> {
    for (const port of this.ports) {
      const server = createServer({noDelay: true}, (client) => this.accept(client, port))
      await listenOrExplain(server, this.host, port, `the balancer ${this.host}`)
      this.servers.push(server)
    }
  }

  get started(): boolean {
    return this.servers.length > 0
  }

  async stop(): Promise<void> {
    for (const target of this.targets.values()) this.forget(target)
    this.targets.clear()
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }

  /** Make the targets what the state says: new ones start checking, deregistered ones drain, gone ones are dropped. */
  setTargets(specs: TargetSpec[], now = Date.now()): void {
    const wanted = new Map(specs.map((s) => [s.instanceId, s]))
    for (const [id, target] of this.targets) {
      if (wanted.has(id)) continue
      this.forget(target)
      this.targets.delete(id)
    }
    for (const spec of specs) {
      const target = this.targets.get(spec.instanceId)
      if (spec.deregisteredAt !== undefined) {
        const left = spec.deregisteredAt + this.drainMs - now
        if (left <= 0) {
          if (target) this.forget(target)
          this.targets.delete(spec.instanceId)
        } else if (target && target.state !== 'draining') {
          this.drain(target, left)
        } else if (!target) {
          this.targets.set(spec.instanceId, {spec, state: 'draining', reason: 'Target.DeregistrationInProgress', passed: 0, failed: 0, open: new Set(), checking: false})
        }
        continue
      }
      if (target && target.state !== 'draining' && target.spec.address === spec.address) {
        target.spec = spec
        continue
      }
      if (target) this.forget(target)
      this.register(spec)
    }
  }

  /** What the balancer thinks of each target now. */
  view(): BalancerTarget[] {
    return [...this.targets.values()].map((t) => ({instanceId: t.spec.instanceId, state: t.state, ...(t.reason ? {reason: t.reason} : {})}))
  }

  private register(spec: TargetSpec): void {
    const target: Target = {spec, state: 'initial', reason: 'Elb.InitialHealthChecking', passed: 0, failed: 0, open: new Set(), checking: false}
    this.targets.set(spec.instanceId, target)
    this.transition(target, 'initial', 'registered')
    // The first check at once, then one every interval: each target keeps its own phase.
    void this.runCheck(target)
    target.timer = setInterval(() => void this.runCheck(target), this.check.intervalMs)
  }

  private drain(target: Target, leftMs: number): void {
    clearInterval(target.timer)
    delete target.timer
    target.state = 'draining'
    target.reason = 'Target.DeregistrationInProgress'
    this.transition(target, 'draining', `deregistered: open connections kept for ${leftMs} ms`)
    target.drainTimer = setTimeout(() => {
      this.forget(target)
      if (this.targets.get(target.spec.instanceId) === target) this.targets.delete(target.spec.instanceId)
      this.transition(target, 'unused', 'drained')
    }, leftMs)
  }

  private forget(target: Target): void {
    clearInterval(target.timer)
    delete target.timer
    clearTimeout(target.drainTimer)
    for (const s of target.open) s.destroy()
    target.open.clear()
  }

  private async runCheck(target: Target): Promise<void> {
    // A check that outlasts its interval is not overtaken by the next one.
    if (target.checking || target.state === 'draining') return
    target.checking = true
    const {kind, port, path, host, expectStatus, timeoutMs} = this.check
    const result = await probe({kind, address: target.spec.address, port, path, host, expectStatus, timeoutMs, insecure: true})
    target.checking = false
    // Deregistered or dropped while the check ran: its result no longer counts.
    if (this.targets.get(target.spec.instanceId) !== target || target.timer === undefined) return
    if (result.ok) {
      target.passed++
      target.failed = 0
      if (target.state !== 'healthy' && target.passed >= this.check.healthyThreshold) {
        target.state = 'healthy'
        delete target.reason
        this.transition(target, 'healthy', `${target.passed} checks passed`)
      }
    } else {
      target.failed++
      target.passed = 0
      if (target.state !== 'unhealthy' && target.failed >= this.check.unhealthyThreshold) {
        target.state = 'unhealthy'
        target.reason = result.timedOut ? 'Target.Timeout' : result.detail.startsWith('HTTP') ? 'Target.ResponseCodeMismatch' : 'Target.FailedHealthChecks'
        this.transition(target, 'unhealthy', `${target.failed} checks failed (${result.detail})`)
      }
    }
  }

  /** One event per state change: the moments the failover and heal benchmarks read. */
  private transition(target: Target, to: TargetState | 'unused', why: string): void {
    this.reporter.emit({
      level: to === 'unhealthy' ? 'warn' : 'info',
      code: 'sandbox.balancer.target',
      subject: target.spec.name,
      message: `${to}: ${why}`,
      data: {instanceId: target.spec.instanceId, state: to, at: Date.now()},
    })
  }

  /** Healthy targets in turn; none healthy: every registered one (fail open). Never a draining one. */
  private pick(): Target | undefined {
    const live = [...this.targets.values()].filter((t) => t.state !== 'draining')
    const healthy = live.filter((t) => t.state === 'healthy')
    const pool = healthy.length > 0 ? healthy : live
    if (pool.length === 0) return undefined
    this.next = (this.next + 1) % pool.length
    return pool[this.next]
  }

  private accept(client: Socket, port: number): void {
    const target = this.pick()
    if (!target) {
      client.resetAndDestroy()
      return
    }
    splice(client, {host: target.spec.address, port}, target.open)
  }
}
