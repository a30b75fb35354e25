import type {PermissionCheck, ProviderOperation} from './operations.js'

/**
 * What hactl needs from a place that runs proxies: instances, addresses that
 * can move between them, and a DNS record set. AWS, the local
 * sandbox and static hosts implement it; commands, the monitor and the
 * failover planner see only this interface.
 */
export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'stopped' | 'stopping' | 'terminated'

/** How to reach a proxy host to push configs and run commands. */
export interface HostAccess {
  transport: 'local' | 'ssh'
  /** Address to SSH to (ssh transport). */
  address?: string
  port?: number
  user?: string
  /** Per-host overrides of the cluster's proxy settings. */
  remotePath?: string
  reload?: string
  validate?: string
  /** Post-reload check command (exit 0: the proxy is up). */
  check?: string
  statsSocket?: string
  /** The access log `hactl logs` reads. */
  accessLog?: string
}

export interface ProxyInstance {
  id: string
  name?: string
  zone: string
  state: InstanceState
  privateAddress?: string
  publicAddress?: string
  /** Cloud status checks (EC2 system + instance); undefined when unknown. */
  statusOk?: boolean
  launchedAt?: string
  tags: Record<string, string>
  access?: HostAccess
}

export interface ElasticAddress {
  allocationId: string
  publicIp: string
  instanceId?: string
  associationId?: string
  tags: Record<string, string>
}

export interface RecordSet {
  name: string
  type: 'A'
  ttl: number
  values: string[]
}

export interface Placement {
  zone: string
  subnet?: string
  /** The instance's Name, unique in the cluster (see proxyNames in src/services/proxy.ts); a provider that names its own ignores it. */
  name?: string
  /** `topology: pairs`: the pair the new proxy joins (its `hactl:pair` tag from the first byte). */
  pair?: string
}

export interface LaunchOptions {
  /** Makes a retried launch create nothing twice where the provider supports it. */
  clientToken: string
}

export interface Provider {
  readonly kind: 'aws' | 'local' | 'static'
  /** Every proxy of the cluster that is not terminated; one describe call. */
  listProxies(): Promise<ProxyInstance[]>
  launchProxies(placements: Placement[], options: LaunchOptions): Promise<ProxyInstance[]>
  terminateProxy(id: string): Promise<void>
  /** Every address of the cluster; one describe call. */
  listAddresses(): Promise<ElasticAddress[]>
  /** A new address of the cluster; with `pair`, tagged as that pair's address from the first byte. */
  allocateAddress(options?: {pair?: string}): Promise<ElasticAddress>
  /** Give an existing proxy (instance id) or address (allocation id) of the cluster its pair (`topology: pairs`). */
  tagPair?(resource: 'address' | 'proxy', id: string, pair: string): Promise<void>
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

export interface BackendInstance {
  id: string
  zone?: string
  state: InstanceState
  privateAddress?: string
  /** From the instance's `hactl:port` tag, when it has one. */
  port?: number
  tags: Record<string, string>
}
