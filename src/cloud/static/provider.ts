/**
 * `provider: static`: proxies you already run, listed in the cluster file's
 * `hosts:`. They are reached over SSH; there is no cloud API behind them, so
 * nothing can be launched and there are no Elastic IPs or DNS records to move.
 */
import type {Cluster} from '../../cluster/loader.js'
import {UsageError} from '../../errors.js'
import type {ElasticAddress, Provider, ProxyInstance, RecordSet} from '../provider.js'

export function createStaticProvider(cluster: Cluster): Provider {
  return new StaticProvider(cluster)
}

class StaticProvider implements Provider {
  readonly kind = 'static' as const

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

  private unsupported(what: string): never {
    throw new UsageError(`static clusters have no ${what}: their hosts are listed in the cluster file and reached over SSH`, {
      actions: ['Edit hosts: in the cluster file to add or remove proxies.', 'For Elastic IPs and DNS failover use provider: aws (or provider: local to try it on this machine).'],
    })
  }

  launchProxies(): Promise<ProxyInstance[]> {
    return this.unsupported('instances to launch')
  }

  terminateProxy(): Promise<void> {
    return this.unsupported('instances to terminate')
  }

  listAddresses(): Promise<ElasticAddress[]> {
    return this.unsupported('Elastic IPs')
  }

  allocateAddress(): Promise<ElasticAddress> {
    return this.unsupported('Elastic IPs')
  }

  associateAddress(): Promise<void> {
    return this.unsupported('Elastic IPs')
  }

  disassociateAddress(): Promise<void> {
    return this.unsupported('Elastic IPs')
  }

  releaseAddress(): Promise<void> {
    return this.unsupported('Elastic IPs')
  }

  getRecordSet(): Promise<RecordSet | undefined> {
    return this.unsupported('DNS record sets managed by hactl')
  }

  upsertRecordSet(): Promise<void> {
    return this.unsupported('DNS record sets managed by hactl')
  }
}
