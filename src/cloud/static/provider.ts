/**
 * `provider: static`: proxies you already run, listed in the cluster file's
 * `hosts:`. They are reached over SSH; there is no cloud API behind them, so
 * the cluster has its hosts and no other capability: nothing to launch, no
 * Elastic IPs or DNS records to move.
 */
import type {Cluster} from '../../cluster/loader.js'
import type {Cloud, ProxyHosts} from '../capabilities.js'
import type {ProxyInstance} from '../provider.js'

export function staticCloud(cluster: Cluster): Cloud {
  return {kind: 'static', hosts: new StaticHosts(cluster)}
}

class StaticHosts implements ProxyHosts {
  constructor(private readonly cluster: Cluster) {}

  async listProxies(): Promise<ProxyInstance[]> {
    return this.cluster.spec.hosts.map((host) => ({
      id: host.name,
      name: host.name,
      zone: host.zone ?? 'static',
      state: 'running',
      privateAddress: host.address,
      tags: {},
      access: {
        transport: 'ssh',
        address: host.address,
        port: host.port,
        user: host.user,
        remotePath: host.remotePath,
        reload: host.reload,
        validate: host.validate,
        check: host.check,
        statsSocket: host.statsSocket,
        accessLog: host.accessLog,
      },
    }))
  }
}
