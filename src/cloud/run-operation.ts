/**
 * Runs one planned ProviderOperation. A command's plan is a list of these:
 * `--dry-run` prints that list and a real run passes the same list here, so
 * what is shown is what is done.
 */
import type {ProviderOperation} from './operations.js'
import type {ElasticAddress, Provider, ProxyInstance} from './provider.js'

type Plain = Exclude<ProviderOperation['op'], 'allocateAddress' | 'launchProxies'>

/** What running an operation gave back: the new address or instances, or only that it is done. */
export type OperationResult =
  | {op: 'allocateAddress'; address: ElasticAddress}
  | {op: 'launchProxies'; launched: ProxyInstance[]}
  | (Plain extends infer K ? (K extends Plain ? {op: K} : never) : never)

export type ResultOf<O extends ProviderOperation> = Extract<OperationResult, {op: O['op']}>

export async function runOperation<O extends ProviderOperation>(provider: Provider, operation: O): Promise<ResultOf<O>> {
  return (await run(provider, operation)) as ResultOf<O>
}

async function run(provider: Provider, operation: ProviderOperation): Promise<OperationResult> {
  switch (operation.op) {
    case 'allocateAddress':
      return {op: operation.op, address: await provider.allocateAddress()}
    case 'associateAddress':
      await provider.associateAddress(operation.allocationId, operation.instanceId)
      return {op: operation.op}
    case 'disassociateAddress':
      await provider.disassociateAddress(operation.allocationId)
      return {op: operation.op}
    case 'launchProxies':
      return {op: operation.op, launched: await provider.launchProxies(operation.placements, {clientToken: operation.clientToken})}
    case 'releaseAddress':
      await provider.releaseAddress(operation.allocationId)
      return {op: operation.op}
    case 'terminateProxy':
      await provider.terminateProxy(operation.instanceId)
      return {op: operation.op}
    case 'upsertRecordSet':
      await provider.upsertRecordSet(operation.records, {wait: operation.wait !== false})
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
export async function runOperations(provider: Provider, operations: readonly ProviderOperation[], hooks: OperationHooks = {}): Promise<OperationResult[]> {
  const results: OperationResult[] = []
  for (const operation of operations) {
    await hooks.before?.(operation)
    const result = await runOperation(provider, operation)
    results.push(result)
    await hooks.after?.(result, operation)
  }
  return results
}
