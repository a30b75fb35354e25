/**
 * `firewall apply` and `audit` on plain hosts, over SSH: install the table
 * `inet hactl` each role gets, never locking the operator out; read it back
 * and compare it, rule by rule and in order, with the plan.
 */
import type {Cluster} from '../cluster/loader.js'
import type {Finding} from '../firewall/audit.js'
import {compareNft, liveSignatures, renderNft} from '../firewall/nftables.js'
import type {FirewallPolicy, FirewallRole} from '../firewall/policy.js'
import {connections} from '../remote/connect.js'
import type {RolloutTarget} from '../remote/hosts.js'

const NFT_LIST = ['nft', '-j', 'list', 'table', 'inet', 'hactl']

interface HostToCheck {
  role: FirewallRole
  target: RolloutTarget
}

/** Proxies: the cluster's hosts. Backends: the server addresses of the proxy config, over the cluster's SSH settings. */
function hostsToCheck(cluster: Cluster, policy: FirewallPolicy): HostToCheck[] {
  const ssh = (name: string, address: string, port?: number, user?: string): RolloutTarget => ({
    name,
    transport: 'ssh',
    address,
    ...(port === undefined ? {} : {port}),
    ...(user === undefined ? {} : {user}),
    // Not a rollout: no config file is read or written on these hosts.
    remotePath: '',
    reload: '',
  })
  return [
    ...cluster.spec.hosts.map((h): HostToCheck => ({role: 'proxies', target: ssh(h.name, h.address, h.port, h.user)})),
    ...policy.backendAddresses.map((a): HostToCheck => ({role: 'backends', target: ssh(a, a)})),
  ]
}

export async function auditNftables(cluster: Cluster, policy: FirewallPolicy, proxyAddresses: string[]): Promise<{findings: Finding[]; checked: {proxies: number; backends: number; groups: number}}> {
  const hosts = hostsToCheck(cluster, policy)
  const plans = {proxies: renderNft(policy, 'proxies', proxyAddresses), backends: renderNft(policy, 'backends', proxyAddresses)}
  const findings: Finding[] = []
  const finding = (kind: Finding['kind'], host: string, rule: string, detail: string): void => {
    findings.push({kind, groupId: host, groupName: 'table inet hactl', rule, instances: [host], detail})
  }
  const conns = connections(cluster)
  try {
    for (const {role, target} of hosts) {
      let output: {code: number; stdout: string; stderr: string}
      try {
        const transport = await conns.connect(target)
        output = await transport.exec(NFT_LIST)
      } catch (error) {
        finding('unreachable', target.name, '-', `could not read its table over SSH: ${(error as Error).message.split('\n')[0]}`)
        continue
      }
      if (output.code !== 0) {
        finding('nft-missing', target.name, '-', `no table inet hactl on this ${role === 'proxies' ? 'proxy' : 'backend'}: ${output.stderr.trim().split('\n')[0] || `nft exited ${output.code}`}`)
        continue
      }
      let live: string[]
      try {
        live = liveSignatures(output.stdout)
      } catch {
        finding('nft-differs', target.name, '-', 'nft -j printed something that is not JSON')
        continue
      }
      for (const d of compareNft(plans[role], live)) {
        const detail = d.kind === 'missing' ? 'in the plan, not on the host' : d.kind === 'unexpected' ? 'on the host, not in the plan' : 'the rules are in another order than the plan'
        finding('nft-differs', target.name, d.rule, detail)
      }
    }
  } finally {
    await conns.close()
  }
  const count = (role: FirewallRole): number => hosts.filter((h) => h.role === role).length
  return {findings, checked: {proxies: count('proxies'), backends: count('backends'), groups: hosts.length}}
}

export type NftHostStatus = 'rejected' | 'rolled-back' | 'unchanged' | 'unreachable' | 'updated'

export interface NftHostResult {
  host: string
  role: FirewallRole
  status: NftHostStatus
  detail: string
}

/** Loading `text` replaces the table; an empty previous table means there was none. */
function restoreScript(previous: string | undefined): string {
  return previous === undefined ? 'table inet hactl {}\ndelete table inet hactl\n' : `table inet hactl {}\ndelete table inet hactl\n${previous}`
}

/**
 * Install each role's table on its hosts, one host at a time: read the live
 * table (for the rollback), `nft -c` the new one, load it in one
 * transaction, then open a NEW SSH connection to prove SSH still answers. If
 * it does not, the table in place before is loaded again over the connection
 * still open (established connections are always accepted), so a policy can
 * never lock the operator out. Tables go over stdin: no file on the host.
 */
export async function applyNftables(cluster: Cluster, policy: FirewallPolicy, proxyAddresses: string[], report: (r: NftHostResult) => void): Promise<NftHostResult[]> {
  const plans = {proxies: renderNft(policy, 'proxies', proxyAddresses), backends: renderNft(policy, 'backends', proxyAddresses)}
  const results: NftHostResult[] = []
  const done = (r: NftHostResult): void => {
    results.push(r)
    report(r)
  }
  const conns = connections(cluster)
  try {
    for (const {role, target} of hostsToCheck(cluster, policy)) {
      const plan = plans[role]
      const result = (status: NftHostStatus, detail: string): void => done({host: target.name, role, status, detail})
      let transport
      try {
        transport = await conns.connect(target)
      } catch (error) {
        result('unreachable', (error as Error).message.split('\n')[0])
        continue
      }
      const listed = await transport.exec(['nft', 'list', 'table', 'inet', 'hactl'])
      const previous = listed.code === 0 ? listed.stdout : undefined
      if (previous !== undefined) {
        const live = await transport.exec(NFT_LIST)
        if (live.code === 0 && compareNft(plan, liveSignatures(live.stdout)).length === 0) {
          result('unchanged', 'the table already is the plan')
          continue
        }
      }
      const check = await transport.exec(['nft', '-c', '-f', '-'], {stdin: plan.text})
      if (check.code !== 0) {
        result('rejected', `nft -c refused the table: ${check.stderr.trim().split('\n')[0] || `exit ${check.code}`}`)
        continue
      }
      const load = await transport.exec(['nft', '-f', '-'], {stdin: plan.text})
      if (load.code !== 0) {
        result('rejected', `nft -f refused the table: ${load.stderr.trim().split('\n')[0] || `exit ${load.code}`}`)
        continue
      }
      const probe = connections(cluster)
      let sshAnswers = false
      try {
        sshAnswers = (await (await probe.connect(target)).exec(['true'])).code === 0
      } catch {
        sshAnswers = false
      } finally {
        await probe.close()
      }
      if (sshAnswers) {
        result('updated', 'table inet hactl loaded; a new SSH connection still answers')
        continue
      }
      const restore = await transport.exec(['nft', '-f', '-'], {stdin: restoreScript(previous)})
      result(
        'rolled-back',
        restore.code === 0
          ? `a new SSH connection did not answer after the load: the table before it is back (${previous === undefined ? 'none' : 'restored'})`
          : `a new SSH connection did not answer after the load, and restoring failed: ${restore.stderr.trim().split('\n')[0]}`,
      )
    }
  } finally {
    await conns.close()
  }
  return results
}
