/**
 * What a cluster can do with the place it runs in, as small capabilities
 * instead of one wide interface. A provider implements the ones it has and
 * leaves the others out; the cluster's `Cloud` holds what its provider
 * offers. A command that needs one the cluster lacks asks for it with
 * `need()`, which says which one is missing and what to do (exit 2): no
 * stub method that throws.
 *
 * A new capability (LoadBalancer, Certificates, …): its interface here (or in
 * its own module, as the Firewall in ./firewall.ts), an optional member of
 * Cloud, a line in MISSING, and its implementations in the providers that
 * have it (wired in ./open.ts).
 */
import {UsageError} from '../errors.js'
import type {BalancerPart, OperationPlanner} from './operations.js'
import type {BackendInstance, ElasticAddress, LaunchOptions, Placement, ProxyInstance} from './provider.js'

export type ProviderKind = 'aws' | 'local' | 'static'

/** The proxies of the cluster, wherever they run: every cluster has them. */
export interface ProxyHosts {
  /** Every proxy of the cluster that is not terminated; one describe call. */
  listProxies(): Promise<ProxyInstance[]>
}

/** Machines the cloud starts and ends for the cluster. */
export interface Instances extends ProxyHosts {
  launchProxies(placements: Placement[], options: LaunchOptions): Promise<ProxyInstance[]>
  terminateProxy(id: string): Promise<void>
}

/** Public addresses that move between proxies (Elastic IPs). */
export interface AddressPool {
  /** Every address of the cluster; one describe call. */
  listAddresses(): Promise<ElasticAddress[]>
  /** A new address of the cluster; with `pair`, tagged as that pair's address from the first byte. */
  allocateAddress(options?: {pair?: string}): Promise<ElasticAddress>
  /** Move or attach; reassociation allowed (the address may be on another instance). */
  associateAddress(allocationId: string, instanceId: string): Promise<void>
  disassociateAddress(allocationId: string): Promise<void>
  releaseAddress(allocationId: string): Promise<void>
}

/** `topology: pairs`: give an existing proxy (instance id) or address (allocation id) of the cluster its pair. */
export interface PairTags {
  tagPair(resource: 'address' | 'proxy', id: string, pair: string): Promise<void>
}

/** Backend instances found by their tags, for `backend sync`. */
export interface BackendDiscovery {
  /** Instances tagged `hactl:cluster=<cluster>` and `hactl:backend=<name>`. */
  listBackendInstances(backend: string): Promise<BackendInstance[]>
}

/** A target's state as the load balancer sees it (the names of an AWS target group's states). */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused' | 'unavailable'

export interface BalancerTarget {
  instanceId: string
  state: TargetState
  /** The balancer's reason code or text, when it gives one. */
  reason?: string
}

/** The balancer as found by its tags: where clients reach it and what it sends traffic to. */
export interface BalancerView {
  name: string
  /** An address clients connect to (the sandbox's balancer). */
  address?: string
  /** A DNS name clients resolve (an AWS NLB), with the hosted zone an alias record to it names. */
  dnsName?: string
  hostedZoneId?: string
  ports: number[]
  targets: BalancerTarget[]
}

/** topology nlb: the L4 load balancer in front of the proxies. */
export interface LoadBalancer {
  /** The cluster's balancer and its targets' health, or undefined before `proxy launch` made it. */
  describeBalancer(): Promise<BalancerView | undefined>
  /** Add proxies as targets (a new proxy joins only after the source config was pushed to it). */
  registerTargets(instanceIds: string[]): Promise<void>
  /** Remove proxies as targets; open connections drain for balancer.deregistrationDelay. */
  deregisterTargets(instanceIds: string[]): Promise<void>
}

export interface ScalingView {
  name: string
  desired: number
  min: number
  max: number
  /** The group's instances and what the group thinks of them. */
  instances: Array<{instanceId: string; zone?: string; lifecycle: string; health: 'healthy' | 'unhealthy'}>
}

/** topology nlb: the group that keeps the proxy count and replaces dead proxies (an Auto Scaling group, or the sandbox's). */
export interface ScalingGroup {
  describeGroup(): Promise<ScalingView | undefined>
  /** min = max = desired = count. */
  setCount(count: number): Promise<void>
  /** Terminate one proxy through the group, after draining; `decrement` lowers the count instead of replacing it. */
  terminateThroughGroup(instanceId: string, options: {decrement: boolean}): Promise<void>
  /**
   * Instances the group launched that wait for hactl before they join the
   * balancer (an Auto Scaling launch lifecycle hook, state Pending:Wait).
   * Absent where new proxies join at once because they start from the
   * source config (the sandbox's group).
   */
  pendingLaunches?(): Promise<string[]>
  /** End one's wait: `continue` lets it join the balancer, `abandon` has the group replace it. */
  admitLaunch?(instanceId: string, result: 'abandon' | 'continue'): Promise<void>
}

/** What of the balancer's setup exists, found by the cluster's tags. One target group per port: a TCP listener passes connections through to the same port. */
export interface BalancerParts {
  launchTemplate: boolean
  /** Ports that have their target group. */
  targetGroups: number[]
  /** Ports whose target group drains as the cluster file says (deregistration delay). */
  targetGroupAttributes: number[]
  balancer: boolean
  /** Cross-zone as the cluster file says. */
  balancerAttributes: boolean
  /** Ports the balancer listens on. */
  listeners: number[]
  scalingGroup: boolean
  /** Ports whose target group the scaling group sends its instances to. */
  attached: number[]
  /** The group has its launch hook, with the settings hactl gives it. Absent: the provider has none (its proxies join at once). */
  launchHook?: boolean
}

/** topology nlb: `proxy launch` makes the balancer, its target group and the scaling group, each part only when it is missing. */
export interface BalancerSetup {
  observeParts(): Promise<BalancerParts>
  createPart(part: BalancerPart): Promise<void>
}

/** The capabilities of one cluster, as its provider offers them. Its DNS zone is not one of them: dns.provider names it, and openDnsZone (./dns-zones.ts) opens it. */
export interface Cloud {
  readonly kind: ProviderKind
  readonly hosts: ProxyHosts
  readonly instances?: Instances
  readonly addresses?: AddressPool
  readonly backends?: BackendDiscovery
  readonly pairTags?: PairTags
  readonly balancer?: LoadBalancer
  readonly scaling?: ScalingGroup
  readonly balancerSetup?: BalancerSetup
  /** The exact API calls of planned operations (and the cloud's answer on permissions), for --dry-run. */
  readonly planner?: OperationPlanner
}

export type CapabilityName = 'addresses' | 'backends' | 'balancer' | 'instances' | 'scaling'

const MISSING: Record<CapabilityName, {what: string; actions: string[]}> = {
  instances: {
    what: 'instances capability (launch, terminate)',
    actions: ['Edit hosts: in the cluster file to add or remove proxies, or use provider: aws (provider: local to try it on this machine).'],
  },
  addresses: {
    what: 'address pool capability (Elastic IPs)',
    actions: ['Elastic IPs and their failover need provider: aws (or provider: local to try it on this machine).'],
  },
  balancer: {
    what: 'load balancer capability (topology nlb)',
    actions: ['Set topology: nlb with provider: aws (or provider: local, `hactl sandbox up --topology nlb`), then run hactl proxy launch.'],
  },
  scaling: {
    what: 'scaling group capability (topology nlb)',
    actions: ['Set topology: nlb with provider: aws (or provider: local), then run hactl proxy launch.'],
  },
  backends: {
    what: 'backend discovery capability (instances found by tags)',
    actions: ['List the backend servers in the proxy config (hactl backend add), or use provider: aws.'],
  },
}

/** The cluster lacks a capability a command needs: exit 2, nothing changed. */
export class MissingCapabilityError extends UsageError {
  constructor(
    readonly capability: CapabilityName,
    kind: ProviderKind,
  ) {
    const {actions, what} = MISSING[capability]
    super(`the cluster has no ${what}: provider ${kind} does not offer it`, {actions, data: {capability, provider: kind}})
  }
}

/** The capability, or a MissingCapabilityError that names it. */
export function need<K extends CapabilityName>(cloud: Cloud, capability: K): NonNullable<Cloud[K]> {
  const found = cloud[capability]
  if (!found) throw new MissingCapabilityError(capability, cloud.kind)
  return found as NonNullable<Cloud[K]>
}

/** The proxies and the address pool as one view: what observing and moving addresses works on. */
export type PoolCloud = ProxyHosts & AddressPool

/** The pool view of a cluster, or a MissingCapabilityError when it has no address pool. */
export function poolOf(cloud: Cloud): PoolCloud {
  if (!cloud.addresses && cloud.balancer) {
    throw new UsageError('topology nlb has no Elastic IPs: clients reach the load balancer, which sends each new connection to a healthy proxy', {
      actions: ['See the balancer and its targets with `hactl status` or `hactl proxy list`; use topology pool or pairs for Elastic IPs.'],
      data: {capability: 'addresses', topology: 'nlb'},
    })
  }
  const pool = need(cloud, 'addresses')
  return {
    listProxies: () => cloud.hosts.listProxies(),
    listAddresses: () => pool.listAddresses(),
    allocateAddress: (options) => pool.allocateAddress(options),
    associateAddress: (allocationId, instanceId) => pool.associateAddress(allocationId, instanceId),
    disassociateAddress: (allocationId) => pool.disassociateAddress(allocationId),
    releaseAddress: (allocationId) => pool.releaseAddress(allocationId),
  }
}
