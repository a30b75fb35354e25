/**
 * The one way to the cluster's firewall: the provider picks the
 * implementation, loaded lazily so a command pays only for the one it uses.
 */
import type {Cluster} from '../cluster/loader.js'
import {UsageError} from '../errors.js'
import type {Firewall} from './firewall.js'

/**
 * The cluster's firewall, loaded lazily (the SDK only for the commands that
 * need it). A cluster whose provider has none is told so: exit 2.
 */
export async function firewallFor(cluster: Cluster): Promise<Firewall> {
  if (cluster.spec.provider === 'aws') return (await import('./aws/firewall.js')).createAwsFirewall(cluster)
  if (cluster.spec.provider === 'local') {
    // The supervisor enforces the groups only for a cluster file with `firewall:`: without it an audit would pass over open backends.
    if (!cluster.spec.firewall) {
      throw new UsageError(`the sandbox of ${cluster.file} enforces no firewall: the file has no firewall: section (it was made before sandboxes had one)`, {
        actions: ['Add the firewall: section a new sandbox gets (docs/firewall.md, "In the sandbox"), then run `hactl sandbox down` and `hactl sandbox up`.'],
      })
    }
    return (await import('./local/firewall.js')).createLocalFirewall(cluster)
  }
  throw new UsageError(`the cluster has no firewall capability: provider ${cluster.spec.provider} has none in this build (security groups need provider aws or local)`, {
    actions: ['Security groups need provider aws (or the sandbox); with provider static `hactl firewall plan` prints nftables tables (see docs/firewall.md).'],
  })
}
