/**
 * The changes a command can ask of a provider, as data. A service plans a
 * list of these; `--dry-run` prints them (through the provider's `explain`,
 * which names the exact cloud API calls); the same list is then executed.
 */
import type {Placement, RecordSet} from './provider.js'

export type ProviderOperation =
  | {op: 'allocateAddress'; pair?: string}
  | {op: 'associateAddress'; allocationId: string; instanceId: string}
  | {op: 'disassociateAddress'; allocationId: string}
  | {op: 'launchProxies'; placements: Placement[]; clientToken: string}
  | {op: 'releaseAddress'; allocationId: string}
  | {op: 'tagPair'; resource: 'address' | 'proxy'; id: string; pair: string}
  | {op: 'terminateProxy'; instanceId: string}
  /** Waits until the change is live unless `wait` is false. */
  | {op: 'upsertRecordSet'; records: RecordSet; wait?: boolean}

export interface PermissionCheck {
  /** The API call as `service:Action`. */
  action: string
  allowed: boolean
  detail: string
}

/** What a cloud says about planned operations before they run, for `--dry-run`. */
export interface OperationPlanner {
  /** The exact cloud API calls an operation makes. */
  explain(operation: ProviderOperation): string[]
  /** Ask the cloud whether the caller may make these calls, changing nothing (EC2 DryRun). */
  checkPermissions?(operations: ProviderOperation[]): Promise<PermissionCheck[]>
}

/** Provider-neutral wording, for providers without an `explain` of their own. */
export function describeOperation(operation: ProviderOperation): string {
  switch (operation.op) {
    case 'allocateAddress':
      return operation.pair ? `allocate an address for ${operation.pair}` : 'allocate an address'
    case 'associateAddress':
      return `associate ${operation.allocationId} with ${operation.instanceId}`
    case 'disassociateAddress':
      return `disassociate ${operation.allocationId}`
    case 'launchProxies':
      return `launch ${operation.placements.length} proxies in ${operation.placements.map((p) => `${p.subnet ?? p.zone}${p.pair ? ` (${p.pair})` : ''}`).join(', ')}`
    case 'releaseAddress':
      return `release ${operation.allocationId}`
    case 'tagPair':
      return `tag ${operation.resource} ${operation.id} hactl:pair=${operation.pair}`
    case 'terminateProxy':
      return `terminate ${operation.instanceId}`
    case 'upsertRecordSet':
      return `set ${operation.records.name} A ${operation.records.values.join(' ')} (ttl ${operation.records.ttl})`
  }
}
