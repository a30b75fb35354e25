import type {DemoBackend} from '../cloud/local/state.js'

/** What `sandbox up` lays out; every field has a flag. */
export interface SandboxLayout {
  name: string
  /** pool: one address per proxy; pairs: proxies in pairs of two across zones, one address per pair; nlb: one balancer in front, no addresses. */
  topology: 'nlb' | 'pairs' | 'pool'
  proxies: number
  backends: number
  proxyNet: string
  addressNet: string
  backendNet: string
  proxyPort: number
  backendPort: number
  dnsPort: number
  holdDownMs: number
  /** `--replace-after`: failover.replace.after, in ms; no replace key without it. */
  replaceAfterMs?: number
  /** `--tls`: the HTTPS port the proxies and addresses also serve. */
  tlsPort?: number
}

export const DEFAULT_LAYOUT: SandboxLayout = {
  name: 'sandbox',
  topology: 'pool',
  proxies: 3,
  backends: 4,
  proxyNet: '127.0.1',
  addressNet: '127.0.2',
  backendNet: '127.0.3',
  proxyPort: 80,
  backendPort: 8080,
  dnsPort: 5353,
  holdDownMs: 10_000,
}

/** Proxies when `--proxies` is not given: three pairs in pairs, else three. */
export const DEFAULT_PAIRS_PROXIES = 6

/** Addresses of a layout: one per proxy, or one per pair. */
export function layoutAddresses(layout: Pick<SandboxLayout, 'proxies' | 'topology'>): number {
  return layout.topology === 'pairs' ? layout.proxies / 2 : layout.proxies
}

export const SANDBOX_ZONE = 'sandbox.test.'
export const SANDBOX_NAME = 'www.sandbox.test.'

export function demoBackends(layout: Pick<SandboxLayout, 'backendNet' | 'backendPort' | 'backends'>): DemoBackend[] {
  return Array.from({length: layout.backends}, (_, i) => ({name: `web${i + 1}`, address: `${layout.backendNet}.${i + 1}`, port: layout.backendPort}))
}

/** The cluster file of a sandbox: `provider: local`, the health defaults of a network where every hop is local. */
export function sandboxClusterFile(layout: SandboxLayout): string {
  return `# A whole HA proxy cluster on this machine (Linux only), written by \`hactl sandbox up\`.
# Edit it and run \`hactl sandbox down\` and \`hactl sandbox up\` to apply.
cluster: ${layout.name}
provider: local
topology: ${layout.topology}
proxy:
  engine: haproxy
  config: ./haproxy.cfg
  instances:
    count: ${layout.proxies}
    zones: [local-a, local-b, local-c]
${layout.topology === 'nlb' ? nlbSection(layout) : `${layout.topology === 'pairs' ? '# one address per pair; each pair is two proxies in two zones\n' : ''}addresses:
  count: ${layoutAddresses(layout)}
`}dns:
  zone: ${SANDBOX_ZONE}
  name: ${SANDBOX_NAME}
  ttl: 5
health:
  proxy: {type: http, port: ${layout.proxyPort}, path: /healthz, interval: 500ms, timeout: 250ms, rise: 2, fall: 2}
${layout.topology === 'nlb' ? '' : `failover:
  holdDown: ${layout.holdDownMs}ms
  maxRemapsPerHour: 60
${layout.replaceAfterMs === undefined ? '' : `  # the monitor launches a replacement for a proxy dead this long\n  replace: {after: ${layout.replaceAfterMs}ms}\n`}`}firewall:
  # The world reaches the proxies on this port; the demo backends accept only the
  # proxies, and this machine's 127.0.0.1, from which hactl status probes them.
  public: [${layout.proxyPort}]
  extra:
    - {role: backends, port: ${layout.backendPort}, from: [127.0.0.1/32], note: hactl status and health check probe the backends from here}
local:
  dir: .hactl-sandbox
  proxyNet: ${layout.proxyNet}
  addressNet: ${layout.addressNet}
  backendNet: ${layout.backendNet}
  proxyPort: ${layout.proxyPort}
  backendPort: ${layout.backendPort}
  dnsPort: ${layout.dnsPort}
${layout.tlsPort === undefined ? '' : `  tlsPort: ${layout.tlsPort}\n`}`
}

/**
 * topology nlb: no Elastic IPs; the balancer on <addressNet>.100 checks the
 * proxies itself. Its settings are faster than an AWS NLB's defaults.
 */
function nlbSection(layout: SandboxLayout): string {
  return `# No Elastic IPs: clients reach the balancer on ${layout.addressNet}.100 (DNS points there), which
# spreads new connections over the proxies that pass its own health checks (health.proxy's type,
# port and path). An AWS NLB checks every 10 s and needs 3 results in a row, and drains for 300 s;
# every hop here is local, so the sandbox checks every second, decides on 2, and drains for 5 s:
# a killed proxy leaves the balancer within 1–2 s instead of 20–30 s.
balancer:
  interval: 1s
  healthyThreshold: 2
  unhealthyThreshold: 2
  deregistrationDelay: 5s
`
}

/**
 * The cluster's proxy config, the file `hactl backend add` edits and rollout
 * pushes to every instance. One file serves every instance: each binds the
 * private address the sandbox gives it in HACTL_PROXY_ADDRESS.
 */
export function sandboxHaproxyConfig(layout: SandboxLayout): string {
  const servers = demoBackends(layout).map((b) => `    server ${b.name} ${b.address}:${b.port} check inter 1s`)
  return `global
    maxconn 4096
    # one line per request on haproxy's stdout, which the sandbox keeps as each proxy's access.log (\`hactl logs\`)
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    # connections that send nothing (the sandbox's own port probes) are not requests
    option dontlognull
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
    # connect to the backends from the proxy's own address, the source their firewall lets in
    # (unset when \`haproxy -c\` checks the file alone: then the kernel picks one)
    source "\${HACTL_PROXY_ADDRESS-0.0.0.0}"

frontend www
    bind "\${HACTL_PROXY_ADDRESS}:${layout.proxyPort}"
    # answered by the proxy itself: what hactl's health checks probe
    monitor-uri /healthz
    # the first capture is the virtual host in \`hactl logs --format vhost_combined\`
    capture request header Host len 64
    http-response set-header X-Proxy "\${HACTL_INSTANCE-proxy}"
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /
${servers.join('\n')}
`
}
