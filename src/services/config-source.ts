/**
 * Which proxy config a command works on: the file given with --file, else
 * the cluster file's `proxy.config`; and which engine reads it: --engine,
 * else the cluster file's engine, else detection from the file.
 */
import path from 'node:path'

import type {Cluster} from '../cluster/loader.js'
import type {EngineName} from '../cluster/schema.js'
import {UsageError} from '../errors.js'
import type {ConfigDocument, Engine} from '../proxy-config/engine.js'
import '../proxy-config/engines.js'
import {checkRecognised, detectEngine, readConfigFile} from '../proxy-config/files.js'
import {loadEngine} from '../proxy-config/registry.js'

export interface ConfigSourceOptions {
  /** --file: edit this file only. */
  file?: string
  /** --engine: overrides the cluster file and detection. */
  engine?: EngineName
  /** The loaded cluster, whose `proxy.config` is the source when no --file is given (absent with --file: the cluster file is not read then). */
  cluster?: Cluster
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

export function resolveSource(options: ConfigSourceOptions): ConfigSource {
  if (options.file !== undefined) {
    const absolute = path.resolve(options.file)
    return {path: absolute, display: options.file, origin: 'file', engineName: options.engine}
  }
  const {cluster} = options
  if (!cluster) throw new UsageError('no config file to work on', {actions: ['Pass --file PATH, or a cluster file with -c FILE.']})
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
