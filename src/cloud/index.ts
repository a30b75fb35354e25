import type {Cluster} from '../cluster/loader.js'
import {UsageError} from '../errors.js'
import type {Provider} from './provider.js'

export interface ProviderOptions {
  profile?: string
  region?: string
}

/**
 * The provider for a cluster, loaded lazily so only the commands that talk to
 * a cloud pay for its SDK.
 */
export async function providerFor(cluster: Cluster, options: ProviderOptions = {}): Promise<Provider> {
  const factories: Record<string, (() => Promise<Provider>) | undefined> = providerFactories(cluster, options)
  const make = factories[cluster.spec.provider]
  if (!make) {
    throw new UsageError(`provider ${cluster.spec.provider} is not available in this build`)
  }
  return make()
}

const registry: Record<string, (cluster: Cluster, options: ProviderOptions) => Promise<Provider>> = {}

/** Providers register a lazy factory here (see ./providers.ts). */
export function registerProvider(
  kind: Provider['kind'],
  factory: (cluster: Cluster, options: ProviderOptions) => Promise<Provider>,
): void {
  registry[kind] = factory
}

function providerFactories(cluster: Cluster, options: ProviderOptions): Record<string, () => Promise<Provider>> {
  return Object.fromEntries(Object.entries(registry).map(([kind, f]) => [kind, () => f(cluster, options)]))
}
