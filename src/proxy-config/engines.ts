/**
 * The engines hactl ships, registered from their descriptors. Each registers
 * a lazy loader; importing this module costs nothing until an engine is used.
 */
import {ENGINE_DESCRIPTORS} from './descriptors.js'
import {registerEngine} from './registry.js'

for (const descriptor of Object.values(ENGINE_DESCRIPTORS)) registerEngine(descriptor.name, descriptor.load)

export {registerEngine}
