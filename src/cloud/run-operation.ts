/**
 * Runs one planned ProviderOperation. A command's plan is a list of these:
 * `--dry-run` prints that list and a real run passes the same list here, so
 * what is shown is what is done.
 */
import type {AddressPool, BalancerSetup, Instances, LoadBalancer, PairTags, ScalingGroup} from './capabilities.js'
import type {DnsZone} from './dns-zone.js'
import type {ProviderOperation} from './operations.js'
import type {ElasticAddress, ProxyInstance} from './provider.js'

type Plain = Exclude<ProviderOperation['op'], 'allocateAddress' | 'launchProxies'>

/** What running an operation gave back: the new address or instances, or only that it is done. */
export type OperationResult =
  | {op: 'allocateAddress'; address: ElasticAddress}
  | {op: 'launchProxies'; launched: ProxyInstance[]}
  | (Plain extends infer K ? (K extends Plain ? {op: K} : never) : never)

export type ResultOf<O extends ProviderOperation> = Extract<OperationResult, {op: O['op']}>

/** The capabilities operations run on; a cluster's Cloud is one, and the DNS zone dns.provider names may stand in for its own. */
export interface OperationTarget {
  readonly addresses?: AddressPool
  readonly instances?: Pick<Instances, 'launchProxies' | 'terminateProxy'>
  readonly dns?: Pick<DnsZone, 'upsertRecordSet'>
  readonly pairTags?: PairTags
  readonly balancer?: Pick<LoadBalancer, 'deregisterTargets'>
  readonly scaling?: Pick<ScalingGroup, 'admitLaunch' | 'setCount' | 'terminateThroughGroup'>
  readonly balancerSetup?: BalancerSetup
}

export async function runOperation<O extends ProviderOperation>(target: OperationTarget, operation: O): Promise<ResultOf<O>> {
  return (await run(target, operation)) as ResultOf<O>
}

/** A plan holds only operations its command asked the cluster's capabilities for (need()): a missing one here is a bug. */
function have<T>(capability: T | undefined, operation: ProviderOperation): T {
  if (capability === undefined) throw new Error(`${operation.op}: the cluster has no capability to run it`)
  return capability
}

async function run(target: OperationTarget, operation: ProviderOperation): Promise<OperationResult> {
  switch (operation.op) {
    case 'allocateAddress':
      return {op: operation.op, address: await have(target.addresses, operation).allocateAddress(operation.pair ? {pair: operation.pair} : {})}
    case 'associateAddress':
      await have(target.addresses, operation).associateAddress(operation.allocationId, operation.instanceId)
      return {op: operation.op}
    case 'disassociateAddress':
      await have(target.addresses, operation).disassociateAddress(operation.allocationId)
      return {op: operation.op}
    case 'createBalancerPart':
      await have(target.balancerSetup, operation).createPart(operation.part)
      return {op: operation.op}
    case 'deregisterTargets':
      await have(target.balancer, operation).deregisterTargets(operation.instanceIds)
      return {op: operation.op}
    case 'setGroupCount':
      await have(target.scaling, operation).setCount(operation.count)
      return {op: operation.op}
    case 'admitLaunch': {
      const admit = have(target.scaling?.admitLaunch, operation)
      await admit.call(target.scaling, operation.instanceId, operation.result)
      return {op: operation.op}
    }
    case 'terminateInGroup':
      await have(target.scaling, operation).terminateThroughGroup(operation.instanceId, {decrement: operation.decrement})
      return {op: operation.op}
    case 'launchProxies':
      return {op: operation.op, launched: await have(target.instances, operation).launchProxies(operation.placements, {clientToken: operation.clientToken})}
    case 'releaseAddress':
      await have(target.addresses, operation).releaseAddress(operation.allocationId)
      return {op: operation.op}
    case 'tagPair':
      await have(target.pairTags, operation).tagPair(operation.resource, operation.id, operation.pair)
      return {op: operation.op}
    case 'terminateProxy':
      await have(target.instances, operation).terminateProxy(operation.instanceId)
      return {op: operation.op}
    case 'upsertRecordSet':
      await have(target.dns, operation).upsertRecordSet(operation.records, {wait: operation.wait !== false})
      return {op: operation.op}
  }
}

export interface OperationHooks {
  /** Before each operation starts (progress). */
  before?: (operation: ProviderOperation) => Promise<void> | void
  /** After each, before the next starts (progress, a verify, a test barrier). */
  after?: (result: OperationResult, operation: ProviderOperation) => Promise<void> | void
}

/** Run the operations in order, stopping at the first that fails. */
export async function runOperations(target: OperationTarget, operations: readonly ProviderOperation[], hooks: OperationHooks = {}): Promise<OperationResult[]> {
  const results: OperationResult[] = []
  for (const operation of operations) {
    await hooks.before?.(operation)
    const result = await runOperation(target, operation)
    results.push(result)
    await hooks.after?.(result, operation)
  }
  return results
}
