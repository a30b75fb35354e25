import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {loadCluster, type Cluster} from '../cluster/loader.js'
import {ConfigError} from '../errors.js'
import {loadEngine} from '../proxy-config/registry.js'
import '../proxy-config/engines.js'

export interface ValidateReport {
  cluster: string
  provider: string
  engine: string
  proxyConfig: string
  /** What checked the proxy config: the engine's parser, and the real binary when asked. */
  checks: string[]
}

/** Check the cluster file and the proxy config source it names; throws with file:line on the first broken file. */
export async function validateCluster(file: string): Promise<ValidateReport> {
  const cluster = await loadCluster(file)
  const checks = ['cluster file']
  const source = await readProxyConfig(cluster)
  const engine = await loadEngine(cluster.spec.proxy.engine).catch(() => undefined)
  if (engine) {
    engine.parse(source, displayPath(cluster, cluster.spec.proxy.config))
    checks.push(`${engine.name} parser`)
  }
  return {
    cluster: cluster.spec.cluster,
    provider: cluster.spec.provider,
    engine: cluster.spec.proxy.engine,
    proxyConfig: cluster.spec.proxy.config,
    checks,
  }
}

async function readProxyConfig(cluster: Cluster): Promise<string> {
  try {
    return await readFile(cluster.spec.proxy.config, 'latin1')
  } catch (error) {
    throw new ConfigError(`proxy.config: cannot read ${displayPath(cluster, cluster.spec.proxy.config)}`, {file: cluster.file}, {
      actions: ['Fix proxy.config in the cluster file, or create the file (hactl init writes a starter one).'],
      cause: error,
    })
  }
}

/** Paths in messages are shown relative to the working folder when that is shorter. */
export function displayPath(_cluster: Cluster, p: string): string {
  const rel = path.relative(process.cwd(), p)
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p
}
