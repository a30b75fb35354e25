/**
 * What an nginx file means to hactl: upstream blocks are backends, their
 * `server` lines are servers; server blocks and their locations that
 * proxy_pass to an upstream are routes.
 */
import type {BackendInfo, ServerInfo, ServerState} from '../engine.js'
import {parseEndpoint} from '../endpoint.js'
import {readAffinity} from './affinity.js'
import {type Block, type Directive, directiveArgs, directiveName, indentOf, type NginxDocument, type Visit, type Visitor, visitBlock, walk} from './document.js'

/** Options that belong to one server and are never copied to a new one. */
export const PER_SERVER_OPTIONS = /^(down|backup|drain|route=|service=|weight=)/
/** nginx OSS health checking is passive: these options are the `check` a new server copies. */
export const CHECK_OPTIONS = /^(max_fails=|fail_timeout=|slow_start=)/
export const DEFAULT_PORT = 80

/** A server line; what it means is read only when asked (a 10k-server file edits one upstream). */
export class UpstreamServer {
  private cached?: ServerInfo

  constructor(
    readonly backend: string,
    readonly directive: Directive,
    readonly line: number,
  ) {}

  get info(): ServerInfo {
    this.cached ??= serverInfo(this.backend, this.directive, this.line)
    return this.cached
  }
}

/** An upstream block; its server lines are read (and its block parsed) only when asked. */
export class Upstream {
  private list?: UpstreamServer[]

  constructor(
    readonly name: string,
    readonly visit: Visit,
    readonly block: Block,
  ) {}

  get servers(): UpstreamServer[] {
    if (!this.list) {
      const list: UpstreamServer[] = []
      const {directive, line} = this.visit
      const server: Visitor = (d, at) => {
        if (!d.block && directiveName(d) === 'server') list.push(new UpstreamServer(this.name, d, at))
      }
      visitBlock(this.block, line + directive.newlines, [directive], server, () => false)
      this.list = list
    }
    return this.list
  }
}

/** Where nginx allows `upstream` (besides the top of an included file). */
export const UPSTREAM_CONTEXTS = new Set(['http', 'stream'])

export function upstreams(doc: NginxDocument, visits = walk(doc)): Upstream[] {
  const out: Upstream[] = []
  for (const visit of visits) {
    const {directive, parents} = visit
    if (directive.block && directiveName(directive) === 'upstream' && parents.every((p) => UPSTREAM_CONTEXTS.has(directiveName(p)))) {
      out.push(new Upstream(directiveArgs(directive)[0] ?? '', visit, directive.block))
    }
  }
  return out
}

export function serverInfo(backend: string, d: Directive, line: number): ServerInfo {
  const [written = '', ...options] = directiveArgs(d)
  const endpoint = parseEndpoint(written)
  const weight = options.find((o) => o.startsWith('weight='))
  const state: ServerState = options.includes('down') ? 'disabled' : 'enabled'
  return {
    backend,
    name: written,
    address: endpoint.address,
    port: endpoint.port ?? (endpoint.address.startsWith('unix:') ? undefined : DEFAULT_PORT),
    state,
    weight: weight ? Number(weight.slice(7)) : undefined,
    backup: options.includes('backup'),
    options,
    line,
  }
}

export function toBackendInfo(u: Upstream): BackendInfo {
  return {name: u.name, kind: 'upstream', line: u.visit.line, servers: u.servers.map((s) => s.info), affinity: readAffinity(u.block)}
}

/** Directives that hand a request to an upstream. */
const PASSES = new Set(['fastcgi_pass', 'grpc_pass', 'proxy_pass', 'scgi_pass', 'uwsgi_pass'])

export interface Pass {
  directive: Directive
  /** The host part of the target: an upstream name or an address. */
  target: string
}

/** The pass directive directly inside a location, if any. */
export function passOf(location: Directive): Pass | undefined {
  for (const node of location.block?.items ?? []) {
    if ((node as Directive).type !== 'directive') continue
    const d = node as Directive
    if (!PASSES.has(directiveName(d))) continue
    const url = directiveArgs(d)[0] ?? ''
    const target = url.replace(/^[a-z]+:\/\//i, '').split('/')[0]
    return {directive: d, target}
  }
  return undefined
}

/** `http://NEW/rest` keeping the scheme and path of the old target. */
export function retarget(url: string, backend: string): string {
  const scheme = /^[a-z]+:\/\//i.exec(url)?.[0] ?? ''
  const rest = url.slice(scheme.length)
  const slash = rest.indexOf('/')
  return `${scheme}${backend}${slash < 0 ? '' : rest.slice(slash)}`
}

export interface ServerBlock {
  visit: Visit
  block: Block
  names: string[]
  label: string
  locations: Visit[]
}

export function serverBlocks(visits: Visit[]): ServerBlock[] {
  const out: ServerBlock[] = []
  const byDirective = new Map<Directive, ServerBlock>()
  for (const visit of visits) {
    const {directive} = visit
    const name = directiveName(directive)
    if (name === 'server' && directive.block && !visit.parents.some((p) => directiveName(p) === 'upstream')) {
      const names: string[] = []
      let listen: string | undefined
      for (const node of directive.block.items) {
        if ((node as Directive).type !== 'directive') continue
        const d = node as Directive
        if (directiveName(d) === 'server_name') names.push(...directiveArgs(d).filter((n) => n !== '' && n !== '_'))
        if (directiveName(d) === 'listen') listen ??= directiveArgs(d)[0]
      }
      const block: ServerBlock = {visit, block: directive.block, names, label: names[0] ?? (listen ? `listen ${listen}` : `server@${visit.line}`), locations: []}
      byDirective.set(directive, block)
      out.push(block)
    } else if (name === 'location' && directive.block) {
      const owner = [...visit.parents].reverse().find((p) => byDirective.has(p))
      if (owner) byDirective.get(owner)?.locations.push(visit)
    }
  }
  return out
}

/** A location that catches every path of its server: `location /` or `location = /`. */
export function isRootLocation(location: Directive): boolean {
  const args = directiveArgs(location)
  return (args.length === 1 && args[0] === '/') || (args.length === 2 && args[0] === '=' && args[1] === '/')
}

/** One level of indentation as the file writes it (first nested directive minus its parent), or four spaces. */
export function indentUnit(visits: Visit[]): string {
  const byDirective = new Map(visits.map((v) => [v.directive, v]))
  for (const visit of visits.slice(0, 200)) {
    const parent = visit.parents.at(-1)
    if (!parent) continue
    const inner = indentOf(visit.container, visit.container.items.indexOf(visit.directive))
    const outerVisit = byDirective.get(parent)
    const outer = outerVisit ? indentOf(outerVisit.container, outerVisit.container.items.indexOf(parent)) : undefined
    if (inner !== undefined && outer !== undefined && inner.startsWith(outer) && inner.length > outer.length) return inner.slice(outer.length)
  }
  return '    '
}
