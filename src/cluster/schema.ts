import {z} from 'zod'

import {parseDuration} from './duration.js'

/** A duration written as `500ms`, `2s`, `1m`, `1h`; a bare number is milliseconds. Parsed to ms. */
export const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value
  const ms = parseDuration(value)
  if (ms === undefined) {
    ctx.addIssue({code: 'custom', message: `"${value}" is not a duration: write it like 500ms, 2s, 1m or 1h`})
    return z.NEVER
  }
  return ms
})

export const ENGINES = ['haproxy', 'nginx', 'pound', 'perlbal'] as const
export const PROVIDERS = ['aws', 'local', 'static'] as const
export const TOPOLOGIES = ['pool', 'pairs', 'nlb'] as const

const port = z.number().int().min(1).max(65_535)

const instances = z.strictObject({
  count: z.number().int().min(1).default(3),
  zones: z.array(z.string()).default([]),
  type: z.string().default('t3.small'),
  image: z.string().optional(),
  keyName: z.string().optional(),
  securityGroups: z.array(z.string()).default([]),
  subnets: z.array(z.string()).default([]),
  /** Extra cloud-init shell run after the engine is installed. */
  userData: z.string().optional(),
})

const proxy = z.strictObject({
  engine: z.enum(ENGINES).default('haproxy'),
  /** The config source of truth, kept in git; relative to the cluster file. */
  config: z.string(),
  remotePath: z.string().optional(),
  reload: z.string().optional(),
  /** Command that validates a config file on the host; `{file}` is replaced by the path. */
  validate: z.string().optional(),
  /** HAProxy admin stats socket on the hosts, for `--runtime` changes. */
  statsSocket: z.string().optional(),
  /** The access log on the hosts, read by `hactl logs` (default: the engine's usual path). */
  accessLog: z.string().optional(),
  /** Shell command run on a host after a reload; exit 0 means the proxy is up (`{file}` is the live path). */
  check: z.string().optional(),
  /** How long the post-check may keep failing after a reload before the host is rolled back. */
  checkTimeout: duration.default(10_000),
  instances: instances.prefault({}),
})

const ssh = z.strictObject({
  user: z.string().optional(),
  port: port.default(22),
  identityFile: z.string().optional(),
  knownHosts: z.string().default('~/.ssh/known_hosts'),
  bastion: z.string().optional(),
  acceptNewHostKeys: z.boolean().default(false),
  connectTimeout: duration.default(10_000),
  commandTimeout: duration.default(60_000),
})

const host = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, 'host names may use letters, digits, ".", "_" and "-"'),
  address: z.string(),
  port: port.optional(),
  user: z.string().optional(),
  zone: z.string().optional(),
  remotePath: z.string().optional(),
  reload: z.string().optional(),
  validate: z.string().optional(),
  check: z.string().optional(),
  statsSocket: z.string().optional(),
  accessLog: z.string().optional(),
})

const probe = z.strictObject({
  type: z.enum(['http', 'https', 'tcp', 'ec2']).default('http'),
  port: port.default(80),
  path: z.string().default('/'),
  host: z.string().optional(),
  interval: duration.default(1000),
  timeout: duration.default(500),
  rise: z.number().int().min(1).default(2),
  fall: z.number().int().min(1).default(2),
  /** Accepted HTTP statuses, e.g. `200-399`. */
  expectStatus: z.string().regex(/^\d{3}(-\d{3})?$/, 'write a status or a range like 200-399').default('200-399'),
  expectBody: z.string().optional(),
  insecure: z.boolean().default(false),
})

const health = z.strictObject({
  proxy: probe.prefault({}),
  backends: probe.partial().optional(),
  concurrency: z.number().int().min(1).default(50),
})

const lease = z.strictObject({
  table: z.string(),
  ttl: duration.default(30_000),
})

const failover = z.strictObject({
  holdDown: duration.default(60_000),
  maxRemapsPerHour: z.number().int().min(0).default(10),
  /** auto: after the hold-down the monitor moves addresses back onto empty healthy proxies, one at a time. */
  rebalance: z.enum(['auto', 'manual']).default('auto'),
  lease: lease.optional(),
  stateFile: z.string().optional(),
})

const dns = z.strictObject({
  zone: z.string(),
  name: z.string(),
  ttl: z.number().int().min(0).default(30),
  hostedZoneId: z.string().optional(),
  /** Multivalue-answer records with Route 53 health checks are not built yet: refuse rather than ignore. */
  multivalue: z.literal(false, {error: 'multivalue-answer records are not supported yet: remove dns.multivalue (hactl publishes one A record set)'}).default(false),
})

const local = z.strictObject({
  /** Folder for the sandbox's state, pids and logs; relative to the cluster file. */
  dir: z.string().default('.hactl-sandbox'),
  /** First three octets of the loopback ranges: proxies, addresses, backends. */
  proxyNet: z.string().default('127.0.1'),
  addressNet: z.string().default('127.0.2'),
  backendNet: z.string().default('127.0.3'),
  proxyPort: port.default(80),
  backendPort: port.default(8080),
  dnsPort: port.default(5353),
  zones: z.array(z.string()).default(['local-a', 'local-b', 'local-c']),
})

export const clusterSchema = z.strictObject({
  cluster: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'cluster names use lower-case letters, digits and "-"'),
  provider: z.enum(PROVIDERS).default('local'),
  region: z.string().optional(),
  profile: z.string().optional(),
  topology: z.enum(TOPOLOGIES).default('pool'),
  proxy,
  ssh: ssh.prefault({}),
  hosts: z.array(host).default([]),
  addresses: z.strictObject({count: z.number().int().min(1).default(3)}).prefault({}),
  dns: dns.optional(),
  health: health.prefault({}),
  failover: failover.prefault({}),
  local: local.prefault({}),
  /** Backend discovery defaults for `backend sync`: backend name → port. */
  backends: z.record(z.string(), z.strictObject({port: port.optional()})).default({}),
})

export type ClusterInput = z.input<typeof clusterSchema>
export type ClusterSpec = z.output<typeof clusterSchema>
export type ProbeSpec = ClusterSpec['health']['proxy']
export type HostSpec = ClusterSpec['hosts'][number]
export type EngineName = (typeof ENGINES)[number]
export type ProviderKind = (typeof PROVIDERS)[number]
