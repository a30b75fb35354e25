/**
 * The changes a command can ask of a provider, as data. A service plans a
 * list of these; `--dry-run` prints them (through the provider's `explain`,
 * which names the exact cloud API calls); the same list is then executed.
 */
import type {Placement, RecordSet} from './provider.js'

export type ProviderOperation =
  | {op: 'allocateAddress'}
  | {op: 'associateAddress'; allocationId: string; instanceId: string}
  | {op: 'disassociateAddress'; allocationId: string}
  | {op: 'launchProxies'; placements: Placement[]; clientToken: string}
  | {op: 'releaseAddress'; allocationId: string}
  | {op: 'terminateProxy'; instanceId: string}
  /** Waits until the change is live unless `wait` is false. */
  | {op: 'upsertRecordSet'; records: RecordSet; wait?: boolean}

export interface PermissionCheck {
  /** The API call as `service:Action`. */
  action: string
  allowed: boolean
  detail: string
}

/** Provider-neutral wording, for providers without an `explain` of their own. */
export function describeOperation(operation: ProviderOperation): string {
  switch (operation.op) {
    case 'allocateAddress':
      return 'allocate an address'
    case 'associateAddress':
      return `associate ${operation.allocationId} with ${operation.instanceId}`
    case 'disassociateAddress':
      return `disassociate ${operation.allocationId}`
    case 'launchProxies':
      return `launch ${operation.placements.length} proxies in ${operation.placements.map((p) => p.subnet ?? p.zone).join(', ')}`
    case 'releaseAddress':
      return `release ${operation.allocationId}`
    case 'terminateProxy':
      return `terminate ${operation.instanceId}`
    case 'upsertRecordSet':
      return `set ${operation.records.name} A ${operation.records.values.join(' ')} (ttl ${operation.records.ttl})`
  }
}
