/**
 * The providers hactl ships, each registered as a lazy factory so only the
 * commands that talk to a cloud load its SDK. Import this module for its
 * side effect before calling providerFor().
 */
import {registerProvider} from './index.js'

registerProvider('aws', async (cluster, options) => (await import('./aws/provider.js')).createAwsProvider(cluster, options))
registerProvider('local', async (cluster) => (await import('./local/provider.js')).createLocalProvider(cluster))
registerProvider('static', async (cluster) => (await import('./static/provider.js')).createStaticProvider(cluster))
export {registerProvider}
