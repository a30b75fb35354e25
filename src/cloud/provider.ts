import type {PermissionCheck, ProviderOperation} from './operations.js'
import type {BackendInstance, ElasticAddress, LaunchOptions, Placement, ProxyInstance, RecordSet} from './resources.js'

export type {BackendInstance, ElasticAddress, HostAccess, InstanceState, LaunchOptions, Placement, ProxyInstance, RecordSet} from './resources.js'

/**
 * What hactl needs from a place that runs proxies: instances, addresses that
 * can move between them, and a DNS record set. AWS, the local
 * sandbox and static hosts implement it; commands, the monitor and the
 * failover planner see only this interface.
 */
export interface Provider {
  readonly kind: 'aws' | 'local' | 'static'
  /** Every proxy of the cluster that is not terminated; one describe call. */
  listProxies(): Promise<ProxyInstance[]>
  launchProxies(placements: Placement[], options: LaunchOptions): Promise<ProxyInstance[]>
  terminateProxy(id: string): Promise<void>
  /** Every address of the cluster; one describe call. */
  listAddresses(): Promise<ElasticAddress[]>
  allocateAddress(): Promise<ElasticAddress>
  /** Move or attach; reassociation allowed (the address may be on another instance). */
  associateAddress(allocationId: string, instanceId: string): Promise<void>
  disassociateAddress(allocationId: string): Promise<void>
  releaseAddress(allocationId: string): Promise<void>
  getRecordSet(name: string): Promise<RecordSet | undefined>
  /** Replace the record set; waits until the change is live unless `wait` is false. */
  upsertRecordSet(records: RecordSet, options?: {wait?: boolean}): Promise<void>
  /** Instances tagged as backends of a proxy backend of this cluster (`hactl:cluster=<cluster>` and `hactl:backend=<name>`), for `backend sync`. */
  listBackendInstances?(backend: string): Promise<BackendInstance[]>
  /** The exact cloud API calls an operation makes, for `--dry-run`. */
  explain?(operation: ProviderOperation): string[]
  /** Ask the cloud whether the caller may make these calls, changing nothing (EC2 DryRun). */
  checkPermissions?(operations: ProviderOperation[]): Promise<PermissionCheck[]>
}
