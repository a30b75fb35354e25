/** Read-only views of a proxy config: its backends with their servers, and its routing rules. */
import {UsageError} from '../errors.js'
import type {BackendInfo, RouteInfo} from '../proxy-config/engine.js'
import {loadConfig, resolveSource, type ConfigSourceOptions} from './config-source.js'

export interface BackendList {
  file: string
  engine: string
  backends: BackendInfo[]
}

export interface RouteList {
  file: string
  engine: string
  routes: RouteInfo[]
}

export async function listBackends(options: ConfigSourceOptions & {backend?: string}): Promise<BackendList> {
  const {doc, engine, source} = await loadConfig(resolveSource(options))
  const all = engine.listBackends(doc)
  const backends = options.backend === undefined ? all : all.filter((b) => b.name === options.backend)
  if (options.backend !== undefined && backends.length === 0) {
    throw new UsageError(`no backend "${options.backend}" in ${source.display}`, {
      actions: [all.length > 0 ? `Backends there: ${all.map((b) => b.name).join(', ')}.` : 'The file has no backends.'],
    })
  }
  return {file: source.display, engine: engine.name, backends}
}

export async function listRoutes(options: ConfigSourceOptions & {frontend?: string}): Promise<RouteList> {
  const {doc, engine, source} = await loadConfig(resolveSource(options))
  const routes = engine.listRoutes(doc).filter((r) => options.frontend === undefined || r.frontend === options.frontend)
  return {file: source.display, engine: engine.name, routes}
}
