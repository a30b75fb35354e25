/**
 * Every engine hactl ships, by name. A new engine is a folder
 * `<engine>/` with its descriptor and engine, its name in
 * cluster/names.ts, and one line here.
 */
import type {EngineName} from '../cluster/schema.js'
import type {EngineDescriptor} from './descriptor.js'
import {haproxy} from './haproxy/descriptor.js'
import {nginx} from './nginx/descriptor.js'
import {perlbal} from './perlbal/descriptor.js'
import {pound} from './pound/descriptor.js'

export const ENGINE_DESCRIPTORS: Record<EngineName, EngineDescriptor> = {haproxy, nginx, pound, perlbal}

/** Property by property, for callers that want one thing of every engine. */
export function engineTable<T>(pick: (descriptor: EngineDescriptor) => T): Record<EngineName, T> {
  return Object.fromEntries(Object.values(ENGINE_DESCRIPTORS).map((d) => [d.name, pick(d)])) as Record<EngineName, T>
}
