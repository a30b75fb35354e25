/**
 * `firewall audit` on plain hosts: read `table inet hactl` on every proxy
 * and backend over SSH and compare it, rule by rule and in order, with the
 * table the policy gives its role. Reads only; installing is not built yet.
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
