/**
 * The engines hactl ships. Each line registers a lazy loader; importing this
 * module costs nothing until an engine is used.
 */
import {registerEngine} from './registry.js'

registerEngine('haproxy', async () => (await import('./haproxy/engine.js')).haproxyEngine)
registerEngine('nginx', async () => (await import('./nginx/engine.js')).nginxEngine)
registerEngine('pound', async () => (await import('./pound/engine.js')).poundEngine)
registerEngine('perlbal', async () => (await import('./perlbal/engine.js')).perlbalEngine)

export {registerEngine}
