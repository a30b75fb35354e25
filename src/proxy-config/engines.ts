/**
 * The engines hactl ships. Each line registers a lazy loader; importing this
 * module costs nothing until an engine is used.
 */
import {registerEngine} from './registry.js'

registerEngine('haproxy', async () => (await import('./haproxy/engine.js')).haproxyEngine)

export {registerEngine}
