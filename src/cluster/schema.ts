import * as z from 'zod'

import {isCidr} from './cidr.js'
import {dnsSchema} from './dns.js'
import {formatDuration, parseDuration} from './duration.js'
import {ENGINES, PROVIDERS, TOPOLOGIES} from './names.js'

// zod compiles a fast parser for each object schema on its first parse; a
// command parses the cluster file once, so compiling costs more than it saves.
z.config({jitless: true})

/** Nothing hactl waits for or repeats is meant to take longer than a day; past that Node clamps its timers. */
export const MAX_DURATION_MS = 86_400_000

/**
 * A duration written as `500ms`, `2s`, `1m`, `1h`; a bare number is
 * milliseconds. Parsed to ms and held to a range that means something for
 * the key (a 0 ms probe interval spins, a timer past a day is clamped).
 */
export function duration(min = 1, max = MAX_DURATION_MS) {
  return z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : parseDuration(value)
    if (ms === undefined) {
      ctx.addIssue({code: 'custom', message: `"${value}" is not a duration: write it like 500ms, 2s, 1m or 1h`})
      return z.NEVER
    }
    const written = typeof value === 'number' ? `${value}ms` : value
    if (ms < min) ctx.addIssue({code: 'custom', message: `${written} is too short: write at least ${formatDuration(min)}`})
    else if (ms > max) ctx.addIssue({code: 'custom', message: `${written} is too long: write at most ${formatDuration(max)}`})
    return ms
  })
}

/** Most lists in a cluster file are a handful of entries; far past these counts the file is a mistake or an attack. */
export const LIMITS = {hosts: 1000, zones: 32, securityGroups: 16, subnets: 64, instances: 256, addresses: 256, backends: 1000} as const

function list<T extends z.ZodType>(item: T, max: number, what: string) {
  return z.array(item).max(max, {error: `at most ${max} ${what}`})
}

export {ENGINES, PROVIDERS, TOPOLOGIES}

const port = z.number().int().min(1).max(65_535)

const instances = z.strictObject({
  count: z.number().int().min(1).max(LIMITS.instances, {error: `at most ${LIMITS.instances} proxies`}).default(3),
  zones: list(z.string(), LIMITS.zones, 'zones').default([]),
  type: z.string().default('t3.small'),
  image: z.string().optional(),
  keyName: z.string().optional(),
  securityGroups: list(z.string(), LIMITS.securityGroups, 'security groups').default([]),
  subnets: list(z.string(), LIMITS.subnets, 'subnets').default([]),
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
  checkTimeout: duration(100, 3_600_000).default(10_000),
  /**
   * Which proxies the monitor pushes the source config to: `new` (never pushed) or `all` (drift is pushed back too);
   * `off`: the monitor does not compare (it has no way into the proxies, only the cloud's API).
   */
  converge: z.enum(['new', 'all', 'off']).default('new'),
  /** How often the monitor compares live configs with the source. */
  convergeInterval: duration(1000).default(60_000),
  instances: instances.prefault({}),
})

const ssh = z.strictObject({
  user: z.string().optional(),
  port: port.default(22),
  identityFile: z.string().optional(),
  knownHosts: z.string().default('~/.ssh/known_hosts'),
  bastion: z.string().optional(),
  acceptNewHostKeys: z.boolean().default(false),
  connectTimeout: duration(100, 600_000).default(10_000),
  commandTimeout: duration(1000).default(60_000),
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

/** A probe round faster than this only burns CPU: no proxy answers health checks that quickly, usefully. */
export const MIN_PROBE_INTERVAL_MS = 50

const probeShape = z.strictObject({
  type: z.enum(['http', 'https', 'tcp', 'ec2']).default('http'),
  port: port.default(80),
  path: z.string().default('/'),
  host: z.string().optional(),
  interval: duration(MIN_PROBE_INTERVAL_MS).default(1000),
  /** Default: 500ms, or half the interval when that is shorter (a probe must give up before the next). */
  timeout: duration(1).optional(),
  rise: z.number().int().min(1).default(2),
  fall: z.number().int().min(1).default(2),
  /** Accepted HTTP statuses, e.g. `200-399`. */
  expectStatus: z.string().regex(/^\d{3}(-\d{3})?$/, 'write a status or a range like 200-399').default('200-399'),
  expectBody: z.string().optional(),
  insecure: z.boolean().default(false),
})

/** A probe must give up before the next one is due, or rounds pile up behind each other. */
function timeoutBelowInterval(probe: {interval?: number; timeout?: number}, ctx: z.RefinementCtx): void {
  if (probe.interval === undefined || probe.timeout === undefined || probe.timeout < probe.interval) return
  ctx.addIssue({
    code: 'custom',
    path: ['timeout'],
    message: `${formatDuration(probe.timeout)} must be shorter than the interval (${formatDuration(probe.interval)}): a probe gives up before the next one starts`,
  })
}

const DEFAULT_PROBE_TIMEOUT_MS = 500

const probe = probeShape.superRefine(timeoutBelowInterval).transform((p) => ({...p, timeout: p.timeout ?? Math.min(DEFAULT_PROBE_TIMEOUT_MS, Math.floor(p.interval / 2))}))

const health = z.strictObject({
  proxy: probe.prefault({}),
  backends: probeShape.partial().superRefine(timeoutBelowInterval).optional(),
  concurrency: z.number().int().min(1).default(50),
})

const lease = z.strictObject({
  table: z.string(),
  ttl: duration(1000).default(30_000),
})

const failover = z.strictObject({
  /** 0 turns flap damping off. */
  holdDown: duration(0).default(60_000),
  maxRemapsPerHour: z.number().int().min(0).default(10),
  /** auto: after the hold-down the monitor moves addresses back onto empty healthy proxies, one at a time. */
  rebalance: z.enum(['auto', 'manual']).default('auto'),
  lease: lease.optional(),
  stateFile: z.string().optional(),
  /** Off unless set: a proxy terminated, stopped or failing its probes for longer than `after` is replaced by the monitor. */
  replace: z.strictObject({after: duration(1000).default(120_000)}).optional(),
})

/** topology nlb: the L4 load balancer in front of the proxies (an AWS NLB, or the sandbox's balancer). NLB defaults. */
const balancer = z.strictObject({
  /** Health check of the targets; type, port and path come from health.proxy. */
  interval: duration(1000, 300_000).default(10_000),
  healthyThreshold: z.number().int().min(2).max(10).default(3),
  unhealthyThreshold: z.number().int().min(2).max(10).default(3),
  /** How long a target being removed keeps its open connections (draining). */
  deregistrationDelay: duration(0, 3_600_000).default(300_000),
  /** How long a new instance may fail its checks before the auto scaling group replaces it. */
  gracePeriod: duration(0, 7_200_000).default(300_000),
  crossZone: z.boolean().default(true),
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
  /** HTTPS port the proxies and addresses also serve (`sandbox up --tls`); unset: HTTP only. */
  tlsPort: port.optional(),
  zones: list(z.string(), LIMITS.zones, 'zones').default(['local-a', 'local-b', 'local-c']),
})

/** An IPv4 or IPv6 network in CIDR form; a bare address is not accepted (write /32 or /128). */
const cidr = z.string().refine((value) => isCidr(value), {error: (issue) => `"${String(issue.input)}" is not a CIDR: write it like 203.0.113.0/24 or 2001:db8::/48`})

const firewallRule = z.strictObject({
  /** Which hosts the rule opens: the proxies or the backends. */
  role: z.enum(['proxies', 'backends']),
  port,
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  from: z.array(cidr).min(1).max(50),
  /** Shown in the rule's description, so an operator knows why it is there. */
  note: z.string().max(100).regex(/^[\w .:/,()-]*$/, 'notes may use letters, digits, spaces and . : / , ( ) -').optional(),
})

const firewall = z.strictObject({
  /** Ports the world reaches on the proxies. Default: the port the proxies serve (health.proxy.port). */
  public: z.array(port).min(1).max(32).optional(),
  /** Networks allowed to SSH to proxies and backends. Empty: SSH is closed to everyone. */
  admin: z.array(cidr).max(50).default([]),
  extra: z.array(firewallRule).max(50).default([]),
})

export const clusterSchema = z.strictObject({
  cluster: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'cluster names use lower-case letters, digits and "-"'),
  provider: z.enum(PROVIDERS).default('local'),
  region: z.string().optional(),
  profile: z.string().optional(),
  topology: z.enum(TOPOLOGIES).default('pool'),
  proxy,
  ssh: ssh.prefault({}),
  hosts: list(host, LIMITS.hosts, 'hosts').default([]),
  addresses: z.strictObject({count: z.number().int().min(1).max(LIMITS.addresses, {error: `at most ${LIMITS.addresses} addresses`}).default(3)}).prefault({}),
  dns: dnsSchema.optional(),
  health: health.prefault({}),
  failover: failover.prefault({}),
  balancer: balancer.prefault({}),
  local: local.prefault({}),
  /** Backend discovery defaults for `backend sync`: backend name → port. */
  backends: z
    .record(z.string(), z.strictObject({port: port.optional()}))
    .refine((r) => Object.keys(r).length <= LIMITS.backends, {error: `at most ${LIMITS.backends} backends`})
    .default({}),
  /** Who may reach the proxies and the backends; see docs/firewall.md. */
  firewall: firewall.optional(),
  /** TLS termination (`hactl tls`): how near expiry a certificate is reported, where HTTPS is served. */
  tls: z.strictObject({warnDays: z.number().int().min(0).max(3650).default(21), port: port.default(443)}).prefault({}),
})

export type ClusterInput = z.input<typeof clusterSchema>
export type ClusterSpec = z.output<typeof clusterSchema>
export type ProbeSpec = ClusterSpec['health']['proxy']
export type HostSpec = ClusterSpec['hosts'][number]
export type EngineName = (typeof ENGINES)[number]
export type BalancerSpec = ClusterSpec['balancer']
export type FirewallSpec = NonNullable<ClusterSpec['firewall']>
export type FirewallRuleSpec = FirewallSpec['extra'][number]
export type ProviderKind = (typeof PROVIDERS)[number]
