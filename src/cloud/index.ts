/**
 * The one way to a cluster's cloud: `openCloud(cluster)` builds the
 * capabilities its provider offers. The region and profile come from the
 * cluster as the command loaded it (--region and --profile applied there).
 * Each provider is imported only when a command opens it, so only the
 * commands that talk to a cloud pay for its SDK.
 */
import type {Cluster} from '../cluster/loader.js'
import type {Cloud} from './capabilities.js'

export async function openCloud(cluster: Cluster): Promise<Cloud> {
  switch (cluster.spec.provider) {
    case 'aws':
      return (await import('./aws/provider.js')).awsCloud(cluster)
    case 'local':
      return (await import('./local/provider.js')).localCloud(cluster)
    case 'static':
      return (await import('./static/provider.js')).staticCloud(cluster)
  }
}
