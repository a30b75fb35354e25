import {writeFile, rm} from 'node:fs/promises'
import type {Server} from 'node:net'

import {balancerAddress, balancerPorts, instancePaths, sandboxPaths} from '../cloud/local/paths.js'
import {createLocalProvider} from '../cloud/local/provider.js'
import {readState, type SandboxState} from '../cloud/local/state.js'
import type {ProxyInstance} from '../cloud/provider.js'
import type {Cluster} from '../cluster/loader.js'
import type {ClusterSpec} from '../cluster/schema.js'
import {recordProcess} from '../process/identity.js'
import type {Reporter} from '../events.js'
import {startDemoBackend} from './backends.js'
import {LocalBalancer, type TargetSpec} from './balancer.js'
import {serveControl, type ControlAnswer, type ControlRequest, type ProblemReport} from '../cloud/local/control.js'
import {admits} from './gate.js'
import {DnsServer} from './dns-server.js'
import {AddressForwarder, type Target} from './forwarder.js'
import {ProxyProcess} from './proxy-process.js'

export const DNS_HOST = '127.0.0.1'

/**
 * The one background process of a sandbox. It owns every process and socket
 * the sandbox runs (proxies, demo backends, address forwarders, DNS) and
 * makes them match the state file whenever a provider call asks it to.
 */
export class Supervisor {
  private state: SandboxState
  private readonly proxies = new Map<string, ProxyProcess>()
  private readonly forwarders = new Map<string, AddressForwarder>()
  private readonly backends = new Map<string, Server>()
  private dns?: DnsServer
  private control?: Server
  private queue: Promise<unknown> = Promise.resolve()
  private readonly paths
  private readonly spec: ClusterSpec
  /** topology nlb: the L4 balancer in front of the proxies, and the local auto scaling group's round. */
  private balancer?: LocalBalancer
  private scaleTimer?: NodeJS.Timeout
  private scaling = false
  private readonly terminatedSeen = new Map<string, number>()
  private stopping = false

  constructor(
    private readonly cluster: Cluster,
    private readonly reporter: Reporter,
  ) {
    this.spec = cluster.spec
    this.paths = sandboxPaths(this.spec.local.dir)
    this.state = {version: 1, cluster: this.spec.cluster, instances: [], addresses: [], records: [], serial: 1, backends: []}
  }

  async start(): Promise<void> {
    this.state = (await readState(this.paths.dir)) ?? this.state
    this.dns = new DnsServer(DNS_HOST, this.spec.local.dnsPort, () => ({
      origin: this.spec.dns?.zone ?? 'sandbox.test.',
      serial: this.state.serial,
      records: this.state.records,
      nsAddress: DNS_HOST,
      negativeTtl: 5,
    }))
    await this.dns.start()
    if (this.spec.topology === 'nlb') await this.startBalancer()
    const answer = await this.reconcile()
    if (answer.problems && answer.problems.length > 0) {
      throw new Error(answer.problems.map((p) => `${p.subject}: ${p.message}`).join('; '))
    }
    await rm(this.paths.control, {force: true})
    this.control = serveControl((request) => this.handle(request))
    await new Promise<void>((resolve, reject) => {
      this.control?.once('error', reject)
      this.control?.listen(this.paths.control, () => resolve())
    })
    await writeFile(this.paths.supervisorPid, `${process.pid}\n`)
    await recordProcess(this.paths.supervisorOwner, process.pid)
    this.reporter.emit({level: 'info', code: 'sandbox.ready', message: `supervisor ${process.pid} ready`})
  }

  private async handle(request: ControlRequest): Promise<ControlAnswer> {
    if (request.op === 'ping') return {ok: true, pid: process.pid}
    if (request.op === 'balancer') return {ok: true, pid: process.pid, targets: this.balancer?.view() ?? []}
    if (request.op === 'reconcile') {
      const answer = await this.reconcile()
      // After the answer: the group's own launch goes through the provider, which asks for a reconcile in turn.
      setImmediate(() => void this.scale())
      return answer
    }
    setImmediate(() => void this.shutdown())
    return {ok: true, pid: process.pid}
  }

  /**
   * The new state is in force for new connections (forwarders, DNS) at once;
   * the process work after it is serialised, one reconcile at a time, so an
   * association never waits behind a proxy that is starting.
   */
  async reconcile(): Promise<ControlAnswer> {
    await this.refresh()
    const next = this.queue.then(() => this.reconcileNow())
    this.queue = next.catch(() => undefined)
    return next
  }

  /** Take the state file's content when it is at least as new as what is in force. */
  private async refresh(): Promise<void> {
    const fresh = await readState(this.paths.dir)
    if (!fresh || (fresh.revision ?? 0) < (this.state.revision ?? 0)) return
    const before = this.state
    this.state = fresh
    this.reportMoves(before)
    this.syncBalancer()
  }

  private async startBalancer(): Promise<void> {
    const {health, balancer, local} = this.spec
    const check = {
      kind: health.proxy.type === 'https' ? ('https' as const) : health.proxy.type === 'tcp' ? ('tcp' as const) : ('http' as const),
      port: health.proxy.port,
      path: health.proxy.path,
      host: health.proxy.host,
      expectStatus: health.proxy.expectStatus,
      // An NLB's check gives up within its interval; the proxies' probe timeout is the sandbox's idea of slow.
      timeoutMs: Math.min(health.proxy.timeout, balancer.interval),
      intervalMs: balancer.interval,
      healthyThreshold: balancer.healthyThreshold,
      unhealthyThreshold: balancer.unhealthyThreshold,
    }
    this.balancer = new LocalBalancer(balancerAddress(local), balancerPorts(local), check, balancer.deregistrationDelay, this.reporter)
    await this.balancer.start()
    this.syncBalancer()
    // The group also looks on its own, not only when a change reaches the supervisor.
    this.scaleTimer = setInterval(() => void this.scale(), 1000)
  }

  /** The balancer's targets as the state has them, each at its proxy's private address. */
  private syncBalancer(): void {
    if (!this.balancer) return
    const specs: TargetSpec[] = []
    for (const target of this.state.balancer?.targets ?? []) {
      const instance = this.state.instances.find((i) => i.id === target.instanceId)
      if (!instance && target.deregisteredAt === undefined) continue
      // A target whose instance was marked terminated by anything but terminateProxy drains from when the supervisor first saw it so.
      const gone = instance?.state === 'terminated' ? this.terminatedSeen.get(target.instanceId) ?? Date.now() : undefined
      if (gone !== undefined) this.terminatedSeen.set(target.instanceId, gone)
      const deregisteredAt = target.deregisteredAt ?? gone
      specs.push({instanceId: target.instanceId, name: instance?.name ?? target.instanceId, address: instance?.address ?? '', ...(deregisteredAt === undefined ? {} : {deregisteredAt})})
    }
    this.balancer.setTargets(specs)
  }

  /**
   * The local auto scaling group: once `sandbox up` made it (state.scaling),
   * fewer proxies than desired (one was terminated) means a launch on the
   * next free private address, then the new proxy joins the balancer; more
   * than desired (setCount lowered it) means the newest drains and goes.
   */
  private async scale(): Promise<void> {
    const desired = this.state.scaling?.desired
    if (this.scaling || this.stopping || !this.balancer || desired === undefined) return
    const live = this.state.instances.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')
    if (live.length === desired) return
    this.scaling = true
    try {
      if (live.length > desired) {
        // Scale in: the newest proxy leaves, drained first, as an ASG's default termination policy picks.
        const newest = [...live].sort((a, b) => b.launchedAt.localeCompare(a.launchedAt) || b.index - a.index)[0]
        this.reporter.emit({level: 'info', code: 'sandbox.scaling.terminate', subject: newest.name, message: `${live.length} of ${desired} proxies: draining and terminating ${newest.name}`})
        await (await createLocalProvider(this.cluster)).terminateThroughGroup(newest.id, {decrement: false})
        return
      }
      const zones = this.spec.proxy.instances.zones.length > 0 ? this.spec.proxy.instances.zones : this.spec.local.zones
      const perZone = new Map(zones.map((z) => [z, live.filter((i) => i.zone === z).length]))
      const placements = Array.from({length: desired - live.length}, () => {
        const zone = zones.reduce((best, z) => ((perZone.get(z) ?? 0) < (perZone.get(best) ?? 0) ? z : best))
        perZone.set(zone, (perZone.get(zone) ?? 0) + 1)
        return {zone}
      })
      this.reporter.emit({level: 'info', code: 'sandbox.scaling.launch', message: `${live.length} of ${desired} proxies: launching ${placements.length}`, data: {at: Date.now(), zones: placements.map((p) => p.zone)}})
      const provider = await createLocalProvider(this.cluster)
      // The group launches from the image, and the sandbox's image is the current source config (as an AMI baked
      // from it would be): the new proxy serves it from its first request, so it may join the balancer at once.
      const launched = await provider.launchProxies(placements, {clientToken: `scaling-${Date.now()}`, installSource: true})
      await this.join(launched)
    } catch (error) {
      this.reporter.emit({level: 'error', code: 'sandbox.scaling.problem', message: error instanceof Error ? error.message : String(error)})
    } finally {
      this.scaling = false
    }
  }

  /**
   * The one place a proxy the group launched becomes a balancer target. It
   * was launched with the source config installed (see scale()); a group
   * whose image lacks it would push here before registering.
   */
  private async join(launched: ProxyInstance[]): Promise<void> {
    const provider = await createLocalProvider(this.cluster)
    await provider.registerTargets(launched.map((i) => i.id))
    for (const i of launched) this.reporter.emit({level: 'info', code: 'sandbox.scaling.join', subject: i.name, message: `${i.privateAddress} registered with the balancer`, data: {instanceId: i.id, at: Date.now()}})
  }

  private async reconcileNow(): Promise<ControlAnswer> {
    await this.refresh()
    const started: string[] = []
    const stopped: string[] = []
    const problems: ProblemReport[] = []
    const attempt = async (subject: string, work: () => Promise<void>): Promise<void> => {
      try {
        await work()
      } catch (error) {
        problems.push({subject, message: error instanceof Error ? error.message : String(error)})
        this.reporter.emit({level: 'error', code: 'sandbox.problem', subject, message: String(error)})
      }
    }

    const backendKeys = new Set(this.state.backends.map((b) => `${b.address}:${b.port}`))
    for (const backend of this.state.backends) {
      const key = `${backend.address}:${backend.port}`
      if (this.backends.has(key)) continue
      await attempt(backend.name, async () => {
        this.backends.set(key, await startDemoBackend(backend, (remote) => this.admits(backend.name, remote)))
        started.push(backend.name)
      })
    }
    for (const [key, server] of this.backends) {
      if (backendKeys.has(key)) continue
      server.close()
      this.backends.delete(key)
    }

    // One forwarder per address and port: HTTP, and HTTPS when the sandbox serves it (--tls).
    const ports = [this.spec.local.proxyPort, ...(this.spec.local.tlsPort === undefined ? [] : [this.spec.local.tlsPort])]
    const wantedForwarders = new Set(this.state.addresses.flatMap((a) => ports.map((p) => `${a.publicIp}:${p}`)))
    for (const address of this.state.addresses) {
      for (const port of ports) {
        const key = `${address.publicIp}:${port}`
        if (this.forwarders.has(key)) continue
        await attempt(address.publicIp, async () => {
          const forwarder = new AddressForwarder(address.publicIp, port, () => this.targetOf(address.publicIp, port))
          await forwarder.start()
          this.forwarders.set(key, forwarder)
        })
      }
    }
    for (const [key, forwarder] of this.forwarders) {
      if (wantedForwarders.has(key)) continue
      await forwarder.stop()
      this.forwarders.delete(key)
    }

    const wanted = new Map(this.state.instances.map((i) => [i.id, i]))
    for (const [id, proxy] of this.proxies) {
      const instance = wanted.get(id)
      if (instance && instance.state === 'running' && !instance.crashed) continue
      await proxy.stop()
      this.proxies.delete(id)
      if (instance?.crashed) continue
      stopped.push(proxy.instance.name)
    }
    await Promise.all(
      [...wanted.values()]
        .filter((i) => i.state === 'running' && !i.crashed && !this.proxies.get(i.id)?.running)
        .map((instance) =>
          attempt(instance.name, async () => {
            const proxy = new ProxyProcess(instance, instancePaths(this.paths.dir, instance.id), this.spec.local.proxyPort)
            this.proxies.set(instance.id, proxy)
            await proxy.start()
            started.push(instance.name)
            this.reporter.emit({level: 'info', code: 'sandbox.proxy.start', subject: instance.name, message: `haproxy ${proxy.pid} on ${instance.address}`})
          }),
        ),
    )
    return {ok: problems.length === 0, pid: process.pid, started, stopped, problems}
  }

  /**
   * The sandbox's firewall, in force only when the cluster file has
   * `firewall:` (a sandbox made before it keeps its open backends): the
   * backend's groups as the state holds them now.
   */
  private admits(name: string, remoteAddress: string): boolean {
    if (!this.spec.firewall) return true
    const backend = this.state.backends.find((b) => b.name === name)
    return backend !== undefined && admits(this.state, backend, remoteAddress)
  }

  /** One event per address whose association changed: the moment its traffic switched (the failover benchmark reads it). */
  private reportMoves(before: SandboxState): void {
    const nameOf = (id?: string): string | undefined => this.state.instances.find((i) => i.id === id)?.name ?? id
    for (const address of this.state.addresses) {
      const previous = before.addresses.find((a) => a.allocationId === address.allocationId)
      if (previous?.instanceId === address.instanceId) continue
      this.reporter.emit({
        level: 'info',
        code: 'sandbox.associate',
        subject: address.publicIp,
        message: `now → ${nameOf(address.instanceId) ?? 'nothing'}`,
        data: {publicIp: address.publicIp, from: previous?.instanceId, to: address.instanceId},
      })
    }
  }

  private targetOf(publicIp: string, port: number): Target | undefined {
    const address = this.state.addresses.find((a) => a.publicIp === publicIp)
    const instance = address?.instanceId ? this.state.instances.find((i) => i.id === address.instanceId) : undefined
    if (!instance || instance.state !== 'running') return undefined
    return {host: instance.address, port}
  }

  async shutdown(): Promise<void> {
    this.reporter.emit({level: 'info', code: 'sandbox.stop', message: 'stopping every process of the sandbox'})
    this.stopping = true
    clearInterval(this.scaleTimer)
    await this.balancer?.stop()
    await Promise.all([...this.proxies.values()].map((p) => p.stop()))
    await Promise.all([...this.forwarders.values()].map((f) => f.stop()))
    for (const server of this.backends.values()) server.close()
    await this.dns?.stop()
    this.control?.close()
    await rm(this.paths.control, {force: true})
    await rm(this.paths.supervisorPid, {force: true})
    await rm(this.paths.supervisorOwner, {force: true})
    process.exit(0)
  }
}
