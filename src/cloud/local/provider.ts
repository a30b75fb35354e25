import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {chmod, copyFile, cp, mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {Cluster} from '../../cluster/loader.js'
import {CloudError} from '../../errors.js'
import {sendControl, type ControlAnswer} from './control.js'
import type {AddressPool, BalancerView, Cloud, Instances, LoadBalancer, PairTags, ScalingGroup, ScalingView} from '../capabilities.js'
import {DnsConflictError, sameValues, type DnsZone, type UpsertOptions} from '../dns-zone.js'
import type {ElasticAddress, LaunchOptions, Placement, ProxyInstance, RecordSet} from '../provider.js'
import {TAG} from '../tags.js'
import {balancerAddress, balancerPorts, instancePaths, sandboxPaths} from './paths.js'
import {notRunning, readState, updateState, type LocalAddress, type LocalInstance, type SandboxState} from './state.js'

/** The certificate folder beside a config (proxy-config/tls.ts's TLS_DIR; cloud does not import the engines). */
const TLS_DIR = 'hactl-tls'

const hex = (bytes: number): string => randomBytes(bytes).toString('hex')

/** The lowest N ≥ 1 not already taken. */
function firstFree(taken: number[]): number {
  const used = new Set(taken)
  let n = 1
  while (used.has(n)) n++
  return n
}

/**
 * The certificates beside the config (hactl-tls/) go with it, laid out as a
 * rollout leaves them: a folder of 0600 files and the hactl-tls link to it,
 * which the next rollout switches by one rename.
 */
async function copyCertificates(source: string, live: string): Promise<void> {
  const from = path.join(path.dirname(source), TLS_DIR)
  if (!existsSync(from)) return
  const folder = `.${TLS_DIR}.launch`
  await cp(from, path.join(path.dirname(live), folder), {recursive: true})
  await chmod(path.join(path.dirname(live), folder), 0o700)
  await symlink(folder, path.join(path.dirname(live), TLS_DIR))
}

/**
 * What a new sandbox instance runs before hactl pushes the cluster's config
 * to it, as a new EC2 instance runs the config its engine's package installed:
 * it listens and answers its health check, but serves none of the cluster's
 * sites. A push is what makes it a proxy of the cluster.
 */
export const FRESH_INSTANCE_CONFIG = `# the config a new instance starts with (the engine's own, not the cluster's): hactl pushes the source before it gets traffic
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s

frontend fresh
    bind "\${HACTL_PROXY_ADDRESS}:\${HACTL_PROXY_PORT}"
    monitor-uri /healthz
    http-request return status 503 content-type text/plain string "not configured: the cluster's config was never pushed here"
`

/** `sandbox up`'s own launches: the cluster's config installed at once, as if pushed (the record a rollout leaves included), so it starts fast. */
export interface LocalLaunchOptions extends LaunchOptions {
  installSource?: boolean
}

/** The record a rollout leaves of what the proxy loaded (remote/plan.ts hostPaths; cloud does not import remote). */
function loadedRecordPath(config: string): string {
  return path.join(path.dirname(config), `.${path.basename(config)}.hactl-loaded`)
}

/** The per-instance haproxy settings loaded before the shared config: its own admin socket. */
export function instanceConfig(socket: string): string {
  return `# written by hactl for this sandbox instance; the shared config follows\nglobal\n    stats socket ${socket} mode 600 level admin expose-fd listeners\n`
}

/**
 * `provider: local`: the same capabilities as AWS, over a state file in the
 * sandbox folder. Every change is written under the lock and then handed to
 * the supervisor, which makes it real before the call returns.
 */
export class LocalProvider implements Instances, AddressPool, DnsZone, PairTags, LoadBalancer, ScalingGroup {
  readonly kind = 'local' as const
  readonly dnsKind = 'local' as const
  private readonly dir: string

  constructor(private readonly cluster: Cluster) {
    this.dir = cluster.spec.local.dir
  }

  async listProxies(): Promise<ProxyInstance[]> {
    const state = await this.read()
    return state.instances.filter((i) => i.state !== 'terminated').map((i) => this.toProxy(i))
  }

  async launchProxies(placements: Placement[], options: LocalLaunchOptions): Promise<ProxyInstance[]> {
    const {local, proxy} = this.cluster.spec
    const launched = await updateState(this.dir, async (state) => {
      const made: LocalInstance[] = []
      // Into the proxies' group, when there is one: as \`proxy launch\` gives a new EC2 proxy its security groups.
      const groupIds = (state.groups ?? []).filter((g) => g.role === 'proxies').map((g) => g.id)
      for (const placement of placements) {
        // A terminated instance's address is free again (its process is gone): a replacement takes the next free one.
        const index = firstFree(state.instances.filter((i) => i.state !== 'terminated').map((i) => i.index))
        const instance: LocalInstance = {
          id: `i-${hex(8).slice(0, 17)}`,
          name: `proxy-${index}`,
          index,
          zone: placement.zone,
          address: `${local.proxyNet}.${index}`,
          state: 'running',
          launchedAt: new Date().toISOString(),
          ...(placement.pair ? {pair: placement.pair} : {}),
          ...(groupIds.length > 0 ? {groupIds} : {}),
        }
        const paths = instancePaths(this.dir, instance.id)
        await mkdir(paths.dir, {recursive: true})
        if (options.installSource) {
          await copyFile(proxy.config, paths.config)
          await copyCertificates(proxy.config, paths.config)
          const sha = createHash('sha256').update(await readFile(paths.config)).digest('hex')
          await writeFile(loadedRecordPath(paths.config), `${sha}\n`, {mode: 0o600})
        } else {
          // As on EC2, where user-data installs the engine and nothing more: `proxy launch` pushes the source next.
          await writeFile(paths.config, FRESH_INSTANCE_CONFIG, {mode: 0o644})
        }
        await writeFile(paths.local, instanceConfig(paths.socket))
        state.instances.push(instance)
        made.push(instance)
      }
      return made
    })
    await this.apply()
    return launched.map((i) => this.toProxy(i))
  }

  async terminateProxy(id: string): Promise<void> {
    await this.change((state) => {
      const instance = this.instance(state, id)
      instance.state = 'terminated'
      for (const a of state.addresses) if (a.instanceId === id) this.detach(a)
      // A terminated target leaves the balancer as a deregistered one does: it drains.
      for (const t of state.balancer?.targets ?? []) if (t.instanceId === id) t.deregisteredAt ??= Date.now()
    })
    await updateState(this.dir, (state) => {
      state.instances = state.instances.filter((i) => i.id !== id)
    })
    await rm(instancePaths(this.dir, id).dir, {recursive: true, force: true})
  }

  async listAddresses(): Promise<ElasticAddress[]> {
    const state = await this.read()
    return state.addresses.map((a) => this.toAddress(a))
  }

  async allocateAddress(options: {pair?: string} = {}): Promise<ElasticAddress> {
    const address = await this.change((state) => {
      const index = firstFree(state.addresses.map((a) => a.index))
      const made: LocalAddress = {
        allocationId: `eipalloc-${hex(9).slice(0, 17)}`,
        publicIp: `${this.cluster.spec.local.addressNet}.${index}`,
        index,
        ...(options.pair ? {pair: options.pair} : {}),
      }
      state.addresses.push(made)
      return made
    })
    return this.toAddress(address)
  }

  async tagPair(resource: 'address' | 'proxy', id: string, pair: string): Promise<void> {
    await updateState(this.dir, (state) => {
      if (resource === 'proxy') this.instance(state, id).pair = pair
      else this.address(state, id).pair = pair
    })
  }

  async associateAddress(allocationId: string, instanceId: string): Promise<void> {
    await this.change((state) => {
      const address = this.address(state, allocationId)
      const instance = this.instance(state, instanceId)
      if (instance.state !== 'running' && instance.state !== 'stopped') {
        throw new CloudError(`cannot associate ${address.publicIp} with ${instanceId}: it is ${instance.state}`)
      }
      address.instanceId = instanceId
      address.associationId = `eipassoc-${hex(9).slice(0, 17)}`
    })
  }

  async disassociateAddress(allocationId: string): Promise<void> {
    await this.change((state) => this.detach(this.address(state, allocationId)))
  }

  async releaseAddress(allocationId: string): Promise<void> {
    await this.change((state) => {
      const address = this.address(state, allocationId)
      if (address.instanceId) {
        throw new CloudError(`${address.publicIp} is still associated with ${address.instanceId}`, {
          actions: ['Disassociate it first.'],
        })
      }
      state.addresses = state.addresses.filter((a) => a !== address)
    })
  }

  /** The balancer as its supervisor sees it now: each target's state from its own checks. */
  async describeBalancer(): Promise<BalancerView | undefined> {
    const state = await this.read()
    if (!state.balancer) return undefined
    const answer = await this.ask('balancer')
    const {local} = this.cluster.spec
    const registered = new Set(state.balancer.targets.map((t) => t.instanceId))
    return {
      name: `${this.cluster.spec.cluster}-nlb`,
      address: balancerAddress(local),
      ports: balancerPorts(local),
      targets: (answer.targets ?? []).filter((t) => registered.has(t.instanceId)),
    }
  }

  async registerTargets(instanceIds: string[]): Promise<void> {
    await this.change((state) => {
      const balancer = (state.balancer ??= {targets: []})
      for (const id of instanceIds) {
        this.instance(state, id)
        const now = Date.now()
        balancer.targets = [...balancer.targets.filter((t) => t.instanceId !== id), {instanceId: id, registeredAt: now}]
      }
      this.prune(state)
    })
  }

  async deregisterTargets(instanceIds: string[]): Promise<void> {
    await this.change((state) => {
      for (const t of state.balancer?.targets ?? []) if (instanceIds.includes(t.instanceId)) t.deregisteredAt ??= Date.now()
      this.prune(state)
    })
  }

  async describeGroup(): Promise<ScalingView | undefined> {
    const state = await this.read()
    if (!state.scaling) return undefined
    const balancer = await this.describeBalancer()
    const health = new Map(balancer?.targets.map((t) => [t.instanceId, t.state]))
    const registered = new Set(state.balancer?.targets.filter((t) => t.deregisteredAt === undefined).map((t) => t.instanceId))
    const {desired} = state.scaling
    return {
      name: `${this.cluster.spec.cluster}-proxies`,
      desired,
      min: desired,
      max: desired,
      instances: state.instances
        .filter((i) => i.state !== 'terminated')
        .map((i) => ({
          instanceId: i.id,
          zone: i.zone,
          lifecycle: registered.has(i.id) ? 'InService' : 'Pending',
          // Health check type ELB: the group takes the balancer's word.
          health: health.get(i.id) === 'unhealthy' ? ('unhealthy' as const) : ('healthy' as const),
        })),
    }
  }

  async setCount(count: number): Promise<void> {
    await this.change((state) => {
      state.scaling = {desired: count}
    })
  }

  /** Drain it for balancer.deregistrationDelay, then terminate; without `decrement` the group launches a replacement. */
  async terminateThroughGroup(instanceId: string, options: {decrement: boolean}): Promise<void> {
    await this.change((state) => {
      this.instance(state, instanceId)
      if (options.decrement && state.scaling) state.scaling.desired = Math.max(0, state.scaling.desired - 1)
      for (const t of state.balancer?.targets ?? []) if (t.instanceId === instanceId) t.deregisteredAt ??= Date.now()
    })
    await new Promise((resolve) => setTimeout(resolve, this.cluster.spec.balancer.deregistrationDelay))
    await this.terminateProxy(instanceId)
  }

  async getRecordSet(name: string): Promise<RecordSet | undefined> {
    const state = await this.read()
    return state.records.find((r) => sameName(r.name, name))
  }

  async upsertRecordSet(records: RecordSet, options: UpsertOptions = {}): Promise<void> {
    await this.change((state) => {
      const zone = this.cluster.spec.dns?.zone
      if (zone && !inZone(records.name, zone)) {
        throw new CloudError(`${records.name} is not in the sandbox zone ${zone}`)
      }
      const before = state.records.find((r) => sameName(r.name, records.name))
      // Compared under the state lock: no other writer can slip in between.
      const {expected} = options
      if (expected !== undefined && !(expected === null ? !before : before && sameValues(before.values, expected.values))) {
        throw new DnsConflictError(`${records.name} changed in the sandbox since it was read (read: ${expected ? expected.values.join(' ') : 'no record'}; now: ${before ? before.values.join(' ') : 'no record'}): nothing was published`)
      }
      if (before && JSON.stringify(before) === JSON.stringify(records)) return
      state.records = [...state.records.filter((r) => !sameName(r.name, records.name)), {...records, values: [...records.values]}]
      state.serial++
    })
  }

  private async read(): Promise<SandboxState> {
    const state = await readState(this.dir)
    if (!state) throw notRunning(this.dir)
    return state
  }

  /** Change the state, then have the supervisor put it in force. */
  private async change<T>(mutate: (state: SandboxState) => T): Promise<T> {
    const result = await updateState(this.dir, mutate)
    await this.apply()
    return result
  }

  /** Targets whose draining ended long ago are forgotten, so the list does not grow with every replacement. */
  private prune(state: SandboxState): void {
    if (!state.balancer) return
    const horizon = Date.now() - this.cluster.spec.balancer.deregistrationDelay - 60_000
    state.balancer.targets = state.balancer.targets.filter((t) => t.deregisteredAt === undefined || t.deregisteredAt > horizon)
  }

  private async ask(op: 'balancer' | 'reconcile'): Promise<ControlAnswer> {
    try {
      return await sendControl(sandboxPaths(this.dir).control, {op}, 30_000)
    } catch (error) {
      throw new CloudError(`the sandbox supervisor does not answer (${(error as Error).message})`, {
        actions: ['Run `hactl sandbox status`; restart it with `hactl sandbox down` and `hactl sandbox up`.'],
        cause: error,
      })
    }
  }

  private async apply(): Promise<void> {
    let answer: ControlAnswer
    try {
      answer = await sendControl(sandboxPaths(this.dir).control, {op: 'reconcile'}, 30_000)
    } catch (error) {
      throw new CloudError(`the sandbox supervisor does not answer (${(error as Error).message})`, {
        actions: ['Run `hactl sandbox status`; restart it with `hactl sandbox down` and `hactl sandbox up`.'],
        cause: error,
      })
    }
    if (!answer.ok) {
      const problems = answer.problems?.map((p) => `${p.subject}: ${p.message}`).join('; ') ?? answer.error
      throw new CloudError(`the sandbox could not apply the change: ${problems}`, {
        actions: [`See ${sandboxPaths(this.dir).supervisorLog}.`],
      })
    }
  }

  private instance(state: SandboxState, id: string): LocalInstance {
    const instance = state.instances.find((i) => i.id === id)
    if (!instance) throw new CloudError(`no instance ${id} in the sandbox`, {actions: ['List them with `hactl sandbox status`.']})
    return instance
  }

  private address(state: SandboxState, allocationId: string): LocalAddress {
    const address = state.addresses.find((a) => a.allocationId === allocationId || a.publicIp === allocationId)
    if (!address) throw new CloudError(`no address ${allocationId} in the sandbox`, {actions: ['List them with `hactl sandbox status`.']})
    return address
  }

  private detach(address: LocalAddress): void {
    delete address.instanceId
    delete address.associationId
  }

  private toProxy(i: LocalInstance): ProxyInstance {
    const paths = instancePaths(this.dir, i.id)
    return {
      id: i.id,
      name: i.name,
      zone: i.zone,
      state: i.state,
      privateAddress: i.address,
      launchedAt: i.launchedAt,
      tags: {[TAG.cluster]: this.cluster.spec.cluster, [TAG.role]: 'proxy', Name: i.name, ...(i.pair ? {[TAG.pair]: i.pair} : {})},
      access: {
        transport: 'local',
        remotePath: paths.config,
        // SIGUSR2 to the master: a master-worker reload, old workers finish their connections.
        reload: `kill -USR2 "$(cat '${paths.pid}')"`,
        check: `kill -0 "$(cat '${paths.pid}')"`,
        validate: `haproxy -c -f '${paths.local}' -f {file}`,
        statsSocket: paths.socket,
        accessLog: paths.access,
      },
    }
  }

  private toAddress(a: LocalAddress): ElasticAddress {
    return {
      allocationId: a.allocationId,
      publicIp: a.publicIp,
      instanceId: a.instanceId,
      associationId: a.associationId,
      tags: {[TAG.cluster]: this.cluster.spec.cluster, [TAG.role]: 'address', ...(a.pair ? {[TAG.pair]: a.pair} : {})},
    }
  }
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '')
}

function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '')
  const z = zone.toLowerCase().replace(/\.$/, '')
  return n === z || n.endsWith(`.${z}`)
}

export async function createLocalProvider(cluster: Cluster): Promise<LocalProvider> {
  return new LocalProvider(cluster)
}

/**
 * The sandbox has what AWS has, except backend discovery; it plans with the
 * provider-neutral wording. topology nlb has a balancer and a scaling group
 * and no Elastic IPs, as on AWS.
 */
export async function localCloud(cluster: Cluster): Promise<Cloud> {
  const local = await createLocalProvider(cluster)
  if (cluster.spec.topology === 'nlb') return {kind: 'local', hosts: local, instances: local, balancer: local, scaling: local}
  return {kind: 'local', hosts: local, instances: local, addresses: local, pairTags: local}
}
