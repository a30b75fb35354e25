/**
 * Opens the right transport for a rollout target: ssh (one connection per
 * host, shared settings and jump host) or this machine.
 */
import type {Cluster} from '../cluster/loader.js'
import type {RolloutTarget} from './hosts.js'
import {LocalTransport} from './local.js'
import type {SshConnector} from './ssh.js'
import type {Transport} from './transport.js'

export interface ConnectOptions {
  /** --accept-new: record the key of a host never seen before. */
  acceptNew?: boolean
  askPassphrase?: (file: string) => Promise<string | undefined>
}

export interface Connections {
  connect(target: RolloutTarget): Promise<Transport>
  close(): Promise<void>
}

export function connections(cluster: Cluster, options: ConnectOptions = {}): Connections {
  const {ssh} = cluster.spec
  let connector: Promise<SshConnector> | undefined
  const sshConnector = (): Promise<SshConnector> => {
    connector ??= import('./ssh.js').then(
      ({SshConnector}) =>
        new SshConnector({
          knownHosts: ssh.knownHosts,
          acceptNewHostKeys: Boolean(options.acceptNew) || ssh.acceptNewHostKeys,
          connectTimeoutMs: ssh.connectTimeout,
          commandTimeoutMs: ssh.commandTimeout,
          user: ssh.user,
          port: ssh.port,
          identityFile: ssh.identityFile,
          bastion: ssh.bastion,
          askPassphrase: options.askPassphrase,
        }),
    )
    return connector
  }
  return {
    async connect(target) {
      if (target.transport === 'local') return new LocalTransport(target.name)
      const c = await sshConnector()
      return c.connect({name: target.name, address: target.address ?? target.name, port: target.port, user: target.user})
    },
    async close() {
      if (connector) await (await connector).close()
    },
  }
}
