import path from 'node:path'

/** Where a sandbox keeps its state, sockets, pids and logs, all under `local.dir`. */
export interface SandboxPaths {
  dir: string
  state: string
  lock: string
  control: string
  supervisorPid: string
  /** The supervisor's pid, start time and program, recorded by itself: a pid file alone is not trusted. */
  supervisorOwner: string
  supervisorLog: string
  instances: string
}

export interface InstancePaths {
  dir: string
  /** The proxy config rollout pushes to (the instance's `remotePath`). */
  config: string
  /** Per-instance settings (the admin socket) loaded before the shared config. */
  local: string
  socket: string
  pid: string
  /** The haproxy the supervisor started: pid, start time and program (src/process/identity.ts). */
  owner: string
  log: string
  /** The access log: haproxy's `log stdout` lines, the process's stdout. */
  access: string
}

export function sandboxPaths(dir: string): SandboxPaths {
  return {
    dir,
    state: path.join(dir, 'state.json'),
    lock: path.join(dir, 'state.lock'),
    control: path.join(dir, 'supervisor.sock'),
    supervisorPid: path.join(dir, 'supervisor.pid'),
    supervisorOwner: path.join(dir, 'supervisor.owner.json'),
    supervisorLog: path.join(dir, 'supervisor.log'),
    instances: path.join(dir, 'instances'),
  }
}

export function instancePaths(dir: string, id: string): InstancePaths {
  const home = path.join(dir, 'instances', id)
  return {
    dir: home,
    config: path.join(home, 'haproxy.cfg'),
    local: path.join(home, 'instance.cfg'),
    socket: path.join(home, 'admin.sock'),
    pid: path.join(home, 'haproxy.pid'),
    owner: path.join(home, 'haproxy.owner.json'),
    log: path.join(home, 'haproxy.log'),
    access: path.join(home, 'access.log'),
  }
}

/** topology nlb: the sandbox's balancer listens on <addressNet>.100, beside where Elastic IPs would be. */
export const BALANCER_OCTET = 100

export function balancerAddress(local: {addressNet: string}): string {
  return `${local.addressNet}.${BALANCER_OCTET}`
}

/** The ports the balancer serves: the proxies' port, and their HTTPS port with --tls. */
export function balancerPorts(local: {proxyPort: number; tlsPort?: number}): number[] {
  return [local.proxyPort, ...(local.tlsPort === undefined ? [] : [local.tlsPort])]
}
