/**
 * The things hactl sees in the place that runs its proxies, as plain data:
 * instances, addresses that move between them, record sets. What can be done
 * with them is split into capabilities (./capabilities.ts).
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
  /** A: addresses (or an alias); CNAME: one name (topology nlb, for a zone without aliases). */
  type: 'A' | 'CNAME'
  ttl: number
  /** The addresses of an A set, the name of a CNAME; empty for an alias. */
  values: string[]
  /** An alias A record (Route 53) to a load balancer: no values, no TTL of its own. */
  alias?: {dnsName: string; hostedZoneId: string}
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

export interface BackendInstance {
  id: string
  zone?: string
  state: InstanceState
  privateAddress?: string
  /** From the instance's `hactl:port` tag, when it has one. */
  port?: number
  tags: Record<string, string>
}
