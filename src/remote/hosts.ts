/**
 * Rollout targets: a provider's proxy instances plus the cluster file's proxy
 * settings, with each instance's own overrides (`ProxyInstance.access`) on top.
 */
import type {Cluster} from '../cluster/loader.js'
import type {EngineName} from '../cluster/schema.js'
import type {ProxyInstance} from '../cloud/provider.js'
import {UsageError} from '../errors.js'
import type {EngineHostDefaults} from '../proxy-config/descriptor.js'
import {engineTable} from '../proxy-config/descriptors.js'

export interface RolloutTarget {
  name: string
  transport: 'local' | 'ssh'
  address?: string
  port?: number
  user?: string
  /** The live config file on the host. */
  remotePath: string
  /** Operator's shell text; `{file}` is the live path. */
  reload: string
  /** Operator's shell text; `{file}` is the file to check. Undefined: the engine has no validator binary. */
  validate?: string
  /** Operator's shell text run after a reload; undefined: no post-check beyond the reload's exit code. */
  check?: string
  statsSocket?: string
  /** The access log `hactl logs` reads (always set by rolloutTargets). */
  accessLog?: string
}

/** Where each engine usually lives on a Debian-like host and how it is checked and reloaded there (its descriptor). */
export const ENGINE_DEFAULTS: Record<EngineName, EngineHostDefaults> = engineTable((d) => d.host)

export function rolloutTargets(cluster: Cluster, instances: readonly ProxyInstance[]): RolloutTarget[] {
  const {proxy, ssh} = cluster.spec
  const defaults = ENGINE_DEFAULTS[proxy.engine]
  return instances
    .filter((i) => i.state === 'running')
    .map((instance) => {
      const access = instance.access ?? {transport: 'ssh' as const}
      return {
        name: instance.name ?? instance.id,
        transport: access.transport,
        address: access.address ?? instance.privateAddress ?? instance.publicAddress,
        // No cluster-wide port here: the connector falls back to ~/.ssh/config's Port, then ssh.port.
        port: access.port,
        user: access.user ?? ssh.user,
        remotePath: access.remotePath ?? proxy.remotePath ?? defaults.remotePath,
        reload: access.reload ?? proxy.reload ?? defaults.reload,
        validate: access.validate ?? proxy.validate ?? defaults.validate,
        check: access.check ?? proxy.check ?? defaults.check,
        statsSocket: access.statsSocket ?? proxy.statsSocket,
        accessLog: access.accessLog ?? proxy.accessLog ?? defaults.accessLog,
      }
    })
}

/** Keep the targets named in `--hosts`, in the order given; an unknown name is a usage error. */
export function selectTargets(targets: RolloutTarget[], names: readonly string[] | undefined): RolloutTarget[] {
  if (!names || names.length === 0) return targets
  const unknown = names.filter((n) => !targets.some((t) => t.name === n))
  if (unknown.length > 0) {
    throw new UsageError(`--hosts names ${unknown.join(', ')}, not a proxy of this cluster`, {
      actions: [`Proxies: ${targets.map((t) => t.name).join(', ') || 'none'}.`],
    })
  }
  return names.map((n) => targets.find((t) => t.name === n) as RolloutTarget)
}
