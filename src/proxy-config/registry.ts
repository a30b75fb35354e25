import type {EngineName} from '../cluster/schema.js'
import {UsageError} from '../errors.js'
import type {Engine} from './engine.js'

/**
 * Engines register lazily so a command loads only the parser it uses.
 * Each entry imports its module on first use.
 */
const loaders: Partial<Record<EngineName, () => Promise<Engine>>> = {}

export function registerEngine(name: EngineName, load: () => Promise<Engine>): void {
  loaders[name] = load
}

export async function loadEngine(name: EngineName): Promise<Engine> {
  const load = loaders[name]
  if (!load) {
    throw new UsageError(`the ${name} engine is not available in this build`, {
      actions: [`Engines available: ${Object.keys(loaders).join(', ') || 'none'}.`],
    })
  }
  return load()
}

export function registeredEngines(): EngineName[] {
  return Object.keys(loaders) as EngineName[]
}
