/**
 * Which proxy config a command works on: the file given with --file, else
 * the cluster file's `proxy.config`; and which engine reads it: --engine,
 * else the cluster file's engine, else detection from the file.
 */
import path from 'node:path'

import type {EngineName} from '../cluster/schema.js'
import {ConfigError} from '../errors.js'
import type {ConfigDocument, Engine} from '../proxy-config/engine.js'
import '../proxy-config/engines.js'
import {checkRecognised, detectEngine, readConfigFile} from '../proxy-config/files.js'
import {loadEngine} from '../proxy-config/registry.js'

export interface ConfigSourceOptions {
  /** --file: edit this file only. */
  file?: string
  /** --engine: overrides the cluster file and detection. */
  engine?: EngineName
  /** The cluster file, used when no --file is given. */
  clusterFile: string
}

export interface ConfigSource {
  /** Absolute path. */
  path: string
  /** The path as shown in messages (relative to the working folder when shorter). */
  display: string
  /** `file`: --file was given; `cluster`: the cluster's source of truth (rollout applies). */
  origin: 'cluster' | 'file'
  engineName?: EngineName
}

export interface LoadedConfig<D extends ConfigDocument = ConfigDocument> {
  source: ConfigSource
  engine: Engine<D>
  text: string
  doc: D
}

export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p)
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p
}

export async function resolveSource(options: ConfigSourceOptions): Promise<ConfigSource> {
  if (options.file !== undefined) {
    const absolute = path.resolve(options.file)
    return {path: absolute, display: options.file, origin: 'file', engineName: options.engine}
  }
  // Imported here: with --file the cluster file (yaml + zod) is never read, so it stays off the start-up path.
  const {loadCluster} = await import('../cluster/loader.js')
  const cluster = await loadCluster(options.clusterFile).catch((error: unknown) => {
    if (error instanceof ConfigError && error.location?.line === undefined) {
      throw new ConfigError(error.message, error.location!, {actions: [...error.actions, 'Or edit a config file directly with --file PATH.'], cause: error})
    }
    throw error
  })
  const absolute = cluster.spec.proxy.config
  return {path: absolute, display: displayPath(absolute), origin: 'cluster', engineName: options.engine ?? cluster.spec.proxy.engine}
}

/** Read and parse a source. Parse errors name the file as the user knows it. */
export async function loadConfig(source: ConfigSource): Promise<LoadedConfig> {
  const text = await readConfigFile(source.path, source.display)
  const engine = await loadEngine(source.engineName ?? (await detectEngine(source.display, text)))
  checkRecognised(engine, text, source.display)
  return {source, engine, text, doc: engine.parse(text, source.display)}
}
