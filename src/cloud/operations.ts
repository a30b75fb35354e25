/**
 * The changes a command can ask of a provider, as data. A service plans a
 * list of these; `--dry-run` prints them (through the provider's `explain`,
 * which names the exact cloud API calls); the same list is then executed.
 */
import type {Placement, RecordSet} from './provider.js'

/** A part of the balancer's setup, in the order `proxy launch` creates them; `listener` names its port. */
export type BalancerPart =
  | {part: 'launchTemplate'}
  | {part: 'targetGroup'; port: number}
  | {part: 'targetGroupAttributes'; port: number}
  | {part: 'balancer'}
  | {part: 'balancerAttributes'}
  | {part: 'listener'; port: number}
  | {part: 'scalingGroup'; count: number; ports: number[]}
  | {part: 'attachTargetGroup'; port: number}
  /** The launch lifecycle hook that holds a new instance out of the balancer until the source config is pushed to it. */
  | {part: 'launchHook'}

export type ProviderOperation =
  | {op: 'allocateAddress'; pair?: string}
  | {op: 'associateAddress'; allocationId: string; instanceId: string}
  /** topology nlb: one missing part of the balancer's setup. */
  | {op: 'createBalancerPart'; part: BalancerPart}
  /** topology nlb: stop sending new connections to these proxies; open ones drain for balancer.deregistrationDelay. */
  | {op: 'deregisterTargets'; instanceIds: string[]}
  /** topology nlb: min = max = desired = count. */
  | {op: 'setGroupCount'; count: number}
  /** topology nlb: end a new proxy's wait on the launch hook: `continue` (it joins the balancer) or `abandon` (the group replaces it). */
  | {op: 'admitLaunch'; instanceId: string; result: 'abandon' | 'continue'}
  /** topology nlb: end a proxy through its scaling group, which replaces it unless `decrement`. */
  | {op: 'terminateInGroup'; instanceId: string; decrement: boolean}
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
    case 'createBalancerPart':
      return `create the balancer's ${describePart(operation.part)}`
    case 'deregisterTargets':
      return `deregister ${operation.instanceIds.join(', ')} from the balancer`
    case 'setGroupCount':
      return `set the scaling group to ${operation.count} proxies`
    case 'admitLaunch':
      return operation.result === 'continue' ? `let ${operation.instanceId} join the balancer` : `abandon ${operation.instanceId} (the group replaces it)`
    case 'terminateInGroup':
      return `terminate ${operation.instanceId} through the scaling group${operation.decrement ? ', one proxy fewer' : ', which replaces it'}`
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

export function describePart(part: BalancerPart): string {
  switch (part.part) {
    case 'launchTemplate':
      return 'launch template'
    case 'targetGroup':
      return `target group for port ${part.port}`
    case 'targetGroupAttributes':
      return `target group attributes for port ${part.port} (deregistration delay)`
    case 'balancer':
      return 'load balancer'
    case 'balancerAttributes':
      return 'load balancer attributes (cross-zone)'
    case 'listener':
      return `listener on port ${part.port}`
    case 'scalingGroup':
      return `scaling group of ${part.count}`
    case 'attachTargetGroup':
      return `attachment of the target group for port ${part.port} to the scaling group`
    case 'launchHook':
      return 'launch hook (new proxies join the balancer after the source config is pushed)'
  }
}
