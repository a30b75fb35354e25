/**
 * `firewall apply` and `audit` on plain hosts, over SSH: install the table
 * `inet hactl` each role gets, never locking the operator out; read it back
 * and compare it, rule by rule and in order, with the plan.
 */
import type {Cluster} from '../cluster/loader.js'
import type {Finding} from '../firewall/audit.js'
import {compareNft, liveSignatures, renderNft, type NftPlan} from '../firewall/nftables.js'
import type {FirewallPolicy, FirewallRole} from '../firewall/policy.js'
import {mapLimit} from '../util/map-limit.js'
import {connections, type Connections} from '../remote/connect.js'
import {ENGINE_DEFAULTS, type RolloutTarget} from '../remote/hosts.js'
import {hostPaths, LOCK_BUSY} from '../remote/plan.js'
import type {Transport} from '../remote/transport.js'

const NFT_LIST = ['nft', '-j', 'list', 'table', 'inet', 'hactl']
/** Hosts an audit reads at once. */
const AUDIT_CONCURRENCY = 10

interface HostToCheck {
  role: FirewallRole
  target: RolloutTarget
}

/** Proxies: the cluster's hosts. Backends: the server addresses of the proxy config, over the cluster's SSH settings. */
function hostsToCheck(cluster: Cluster, policy: FirewallPolicy): HostToCheck[] {
  const ssh = (name: string, address: string, port?: number, user?: string, remotePath?: string): RolloutTarget => ({
    name,
    transport: 'ssh',
    address,
    ...(port === undefined ? {} : {port}),
    ...(user === undefined ? {} : {user}),
    // No config file is read or written: the path only names the proxy's rollout lock (nftLockPath).
    remotePath: remotePath ?? '',
    reload: '',
  })
  return [
    ...cluster.spec.hosts.map((h): HostToCheck => ({role: 'proxies', target: ssh(h.name, h.address, h.port, h.user, h.remotePath)})),
    ...policy.backendAddresses.map((a): HostToCheck => ({role: 'backends', target: ssh(a, a)})),
  ]
}

export async function auditNftables(cluster: Cluster, policy: FirewallPolicy, proxyAddresses: string[]): Promise<{findings: Finding[]; checked: {proxies: number; backends: number; groups: number}}> {
  const hosts = hostsToCheck(cluster, policy)
  const plans = {proxies: renderNft(policy, 'proxies', proxyAddresses), backends: renderNft(policy, 'backends', proxyAddresses)}
  const conns = connections(cluster)
  // Every host at once up to the bound: an audit (and the status line that runs it) waits for the slowest host, not for their sum.
  const perHost = await mapLimit(hosts, AUDIT_CONCURRENCY, async ({role, target}) => {
    const out: Finding[] = []
    const finding = (kind: Finding['kind'], rule: string, detail: string): void => {
      out.push({kind, groupId: target.name, groupName: 'table inet hactl', rule, instances: [target.name], detail})
    }
    let output: {code: number; stdout: string; stderr: string}
    try {
      const transport = await conns.connect(target)
      output = await transport.exec(NFT_LIST)
    } catch (error) {
      finding('unreachable', '-', `could not read its table over SSH: ${(error as Error).message.split('\n')[0]}`)
      return out
    }
    if (output.code !== 0) {
      finding('nft-missing', '-', `no table inet hactl on this ${role === 'proxies' ? 'proxy' : 'backend'}: ${output.stderr.trim().split('\n')[0] || `nft exited ${output.code}`}`)
      return out
    }
    let live: string[]
    try {
      live = liveSignatures(output.stdout)
    } catch {
      finding('nft-differs', '-', 'nft -j printed something that is not JSON')
      return out
    }
    for (const d of compareNft(plans[role], live)) {
      const detail = d.kind === 'missing' ? 'in the plan, not on the host' : d.kind === 'unexpected' ? 'on the host, not in the plan' : 'the rules are in another order than the plan'
      finding('nft-differs', d.rule, detail)
    }
    return out
  }).finally(() => conns.close())
  const findings = perHost.flat()
  const count = (role: FirewallRole): number => hosts.filter((h) => h.role === role).length
  return {findings, checked: {proxies: count('proxies'), backends: count('backends'), groups: hosts.length}}
}

export type NftHostStatus = 'busy' | 'failed' | 'rejected' | 'rolled-back' | 'unchanged' | 'unreachable' | 'updated'

export interface NftHostResult {
  host: string
  role: FirewallRole
  status: NftHostStatus
  detail: string
}

/**
 * The lock a host's `firewall apply` holds: on a proxy the rollout's own
 * (next to its config file), so a `config push` and a firewall load never
 * overlap there; on a backend, which no push touches, one of the firewall's.
 */
export const BACKEND_LOCK = '/run/lock/hactl-firewall.lock'

export function nftLockPath(cluster: Cluster, host: {role: FirewallRole; remotePath?: string}): string {
  if (host.role === 'backends') return BACKEND_LOCK
  return hostPaths(host.remotePath || cluster.spec.proxy.remotePath || ENGINE_DEFAULTS[cluster.spec.proxy.engine].remotePath).lock
}

/** Loading `text` replaces the table; an empty previous table means there was none. */
function restoreScript(previous: string | undefined): string {
  return previous === undefined ? 'table inet hactl {}\ndelete table inet hactl\n' : `table inet hactl {}\ndelete table inet hactl\n${previous}`
}

export interface NftApplyOptions {
  /** Hosts worked on at once (`--concurrency`). */
  concurrency?: number
  report: (r: NftHostResult) => void
  /** A new set of connections; the post-check opens one of its own. Injected in tests, otherwise SSH with the cluster's settings. */
  open?: () => Connections
}

/** Hold the host's lock until `release`: flock on a command that lives as long as its input stays open. */
async function lockHost(transport: Transport, path: string): Promise<{release: () => Promise<void>} | {status: 'busy' | 'failed'; detail: string}> {
  let out = ''
  let resolveLocked: () => void = () => undefined
  const locked = new Promise<void>((resolve) => (resolveLocked = resolve))
  const held = transport.hold(['flock', '--nonblock', '--conflict-exit-code', String(LOCK_BUSY), path, 'sh', '-c', "printf 'locked\\n'; exec cat >/dev/null"], {
    stdout: (chunk) => {
      out += chunk.toString()
      if (out.includes('locked\n')) resolveLocked()
    },
    stderr: () => undefined,
  })
  const first = await Promise.race([locked.then(() => undefined), held.exited])
  if (first === undefined) return {release: async () => void (await held.end().catch(() => undefined))}
  if (first.code === LOCK_BUSY) return {status: 'busy', detail: `another config push or firewall apply holds ${path}; nothing changed here: run it again once that has ended`}
  return {status: 'failed', detail: `cannot lock ${path}: ${first.stderr.trim().split('\n')[0] || `exit ${first.code}`}; nothing changed here`}
}

/**
 * Install each role's table on its hosts, up to `concurrency` hosts at once,
 * each under its lock: read the live table (for the rollback), `nft -c` the
 * new one, load it in one transaction, then open a NEW SSH connection to
 * prove SSH still answers. If it does not, the table in place before is
 * loaded again over the connection still open (established connections are
 * always accepted), so a policy can never lock the operator out. Tables go
 * over stdin: no file on the host.
 */
export async function applyNftables(cluster: Cluster, policy: FirewallPolicy, proxyAddresses: string[], options: NftApplyOptions): Promise<NftHostResult[]> {
  const plans = {proxies: renderNft(policy, 'proxies', proxyAddresses), backends: renderNft(policy, 'backends', proxyAddresses)}
  const open = options.open ?? (() => connections(cluster))
  const conns = open()
  try {
    return await mapLimit(hostsToCheck(cluster, policy), Math.max(1, options.concurrency ?? 10), async ({role, target}) => {
      // A connection lost part way fails this host only; the others go on.
      const outcome = await applyHost(target, plans[role], nftLockPath(cluster, {role, remotePath: target.remotePath}), conns, open).catch(
        (error: Error): {status: NftHostStatus; detail: string} => ({status: 'failed', detail: error.message.split('\n')[0]}),
      )
      const result = {host: target.name, role, ...outcome}
      options.report(result)
      return result
    })
  } finally {
    await conns.close()
  }
}

async function applyHost(target: RolloutTarget, plan: NftPlan, lockPath: string, conns: Connections, open: () => Connections): Promise<{status: NftHostStatus; detail: string}> {
  let transport: Transport
  try {
    transport = await conns.connect(target)
  } catch (error) {
    return {status: 'unreachable', detail: (error as Error).message.split('\n')[0]}
  }
  const lock = await lockHost(transport, lockPath)
  if ('status' in lock) return lock
  try {
    const listed = await transport.exec(['nft', 'list', 'table', 'inet', 'hactl'])
    const previous = listed.code === 0 ? listed.stdout : undefined
    if (previous !== undefined) {
      const live = await transport.exec(NFT_LIST)
      if (live.code === 0 && compareNft(plan, liveSignatures(live.stdout)).length === 0) return {status: 'unchanged', detail: 'the table already is the plan'}
    }
    const check = await transport.exec(['nft', '-c', '-f', '-'], {stdin: plan.text})
    if (check.code !== 0) return {status: 'rejected', detail: `nft -c refused the table: ${check.stderr.trim().split('\n')[0] || `exit ${check.code}`}`}
    const load = await transport.exec(['nft', '-f', '-'], {stdin: plan.text})
    if (load.code !== 0) return {status: 'rejected', detail: `nft -f refused the table: ${load.stderr.trim().split('\n')[0] || `exit ${load.code}`}`}
    const probe = open()
    let sshAnswers = false
    try {
      sshAnswers = (await (await probe.connect(target)).exec(['true'])).code === 0
    } catch {
      sshAnswers = false
    } finally {
      await probe.close()
    }
    if (sshAnswers) return {status: 'updated', detail: 'table inet hactl loaded; a new SSH connection still answers'}
    const restore = await transport.exec(['nft', '-f', '-'], {stdin: restoreScript(previous)})
    return {
      status: 'rolled-back',
      detail:
        restore.code === 0
          ? `a new SSH connection did not answer after the load: the table before it is back (${previous === undefined ? 'none' : 'restored'})`
          : `a new SSH connection did not answer after the load, and restoring failed: ${restore.stderr.trim().split('\n')[0]}`,
    }
  } finally {
    await lock.release()
  }
}
