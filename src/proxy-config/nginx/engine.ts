/**
 * The nginx engine. Backends are `upstream` blocks; `disable` writes `down`.
 * nginx OSS has no drain state (NGINX Plus's `drain` is refused by OSS), so
 * `drain` also writes `down`: at the graceful reload that follows, old
 * workers finish their in-flight requests while new ones stop sending to
 * the server — a drain at reload time. The server then lists as disabled.
 */
import {UsageError} from '../../errors.js'
import {sameMatch, type AddServerSpec, type AffinitySpec, type EditOutcome, type Engine, type RouteInfo, type RouteSpec, type ServerRef, type ServerState} from '../engine.js'
import {endpointMatcher} from '../endpoint.js'
import {addressAsName, unknownBackend, unknownServer} from '../edit-errors.js'
import {
  addArg,
  append,
  argTokens,
  type Block,
  childDirectives,
  childIndent,
  type Directive,
  directiveArgs,
  directiveName,
  insertAfter,
  insertBefore,
  type NginxDocument,
  parseNginx,
  parseSnippet,
  removeAt,
  removeArg,
  setArgs,
  type Visit,
  walk,
} from './document.js'
import {
  CHECK_OPTIONS,
  DEFAULT_PORT,
  indentUnit,
  isRootLocation,
  passOf,
  PER_SERVER_OPTIONS,
  retarget,
  type ServerBlock,
  UPSTREAM_CONTEXTS,
  serverBlocks,
  serverInfo,
  toBackendInfo,
  type Upstream,
  upstreams,
} from './model.js'
import {addTls, listTls, removeTls} from './tls.js'
import {setUpstreamAffinity} from './affinity.js'
import {validateNginx} from './validate.js'

/** The directives an edit of one upstream needs: every upstream and `http`, looking only into the blocks that may hold an upstream. */
function walkFor(doc: NginxDocument): Visit[] {
  return walk(
    doc,
    (d) => directiveName(d) === 'upstream' || directiveName(d) === 'http',
    (d) => UPSTREAM_CONTEXTS.has(directiveName(d)),
  )
}

function findUpstream(doc: NginxDocument, name: string, visits: Visit[]): Upstream | undefined {
  return upstreams(doc, visits).find((u) => u.name === name)
}

function requireUpstream(doc: NginxDocument, name: string, visits: Visit[]): Upstream {
  const found = findUpstream(doc, name, visits)
  if (!found) throw unknownBackend(doc.file, 'upstream', name, upstreams(doc, visits).map(toBackendInfo))
  return found
}

function findServer(u: Upstream, ref: ServerRef): Upstream['servers'][number] | undefined {
  const {address, matches} = endpointMatcher(ref, DEFAULT_PORT)
  return u.servers.find((s) => s.directive.mentions(address) && matches(s.directive.firstArg() ?? ''))
}

function lineOf(doc: NginxDocument, d: Directive): number {
  return walk(doc).find((v) => v.directive === d)?.line ?? 0
}

/** The options every sibling shares, minus those that belong to one server. */
function sharedOptions(u: Upstream, check: boolean): string[] {
  const [first, ...rest] = u.servers
  if (!first) return []
  let shared = first.info.options.filter((o) => !PER_SERVER_OPTIONS.test(o) && (check || !CHECK_OPTIONS.test(o)))
  for (const s of rest) {
    if (shared.length === 0) break
    shared = shared.filter((o) => s.directive.hasArg(o))
  }
  return shared
}

/** The block a new upstream goes into: next to the others, else in `http {}`, else the file itself. */
function upstreamHome(doc: NginxDocument, visits: Visit[]): Block {
  const existing = upstreams(doc, visits).at(-1)
  if (existing) return existing.visit.container
  const http = visits.find((v) => v.parents.length === 0 && directiveName(v.directive) === 'http' && v.directive.block)
  return http?.directive.block ?? doc.root
}

function addServer(doc: NginxDocument, spec: AddServerSpec): EditOutcome {
  const written = addressAsName('nginx', spec)
  const eol = doc.eol()
  const upstream = findUpstream(doc, spec.backend, walkFor(doc))

  if (!upstream) {
    const visits = walk(doc)
    const unit = indentUnit(visits)
    if (!spec.create) throw unknownBackend(doc.file, 'upstream', spec.backend, upstreams(doc, visits).map(toBackendInfo))
    const home = upstreamHome(doc, visits)
    const siblings = childDirectives(home)
    const indent = childIndent(home) ?? ''
    const line = serverLine(written, [], spec)
    const node = parseSnippet(`upstream ${spec.backend} {${eol}${indent}${unit}${line}${eol}${indent}}`)
    const lastUpstream = siblings.filter((d) => directiveName(d) === 'upstream').at(-1)
    const firstServer = siblings.find((d) => directiveName(d) === 'server')
    if (lastUpstream) insertAfter(home, home.items.indexOf(lastUpstream), node, eol)
    else if (firstServer) insertBefore(home, home.items.indexOf(firstServer), node, indent, eol)
    else append(home, node, indent, eol)
    const server = node.block ? childDirectives(node.block)[0] : undefined
    const line1 = lineOf(doc, node)
    return {
      changed: true,
      summary: `created upstream ${spec.backend} with server ${written}`,
      server: server ? serverInfo(spec.backend, server, line1 + 1) : undefined,
    }
  }

  const existing = findServer(upstream, written)
  if (existing) return {changed: false, summary: `server ${written} is already in upstream ${spec.backend}`, server: existing.info}

  const node = parseSnippet(serverLine(written, sharedOptions(upstream, spec.check !== false), spec))
  const last = upstream.servers.at(-1)
  if (last) {
    // Copy the gap the sibling leaves after `server` (tabs or aligned spaces).
    const gap = last.directive.head[1]
    if (gap?.kind === 'ws') node.head[1] = {...gap}
    insertAfter(upstream.block, upstream.block.items.indexOf(last.directive), node, eol)
  } else {
    append(upstream.block, node, (childIndent(upstream.block) ?? indentOfDirective(upstream.visit)) + indentUnit(walk(doc)), eol)
  }
  // The new line follows its sibling's; finding it by walking the file again would cost more than the edit.
  const line = last ? last.line + last.directive.newlines + 1 : lineOf(doc, node)
  return {changed: true, summary: `added server ${written} to upstream ${spec.backend}`, server: serverInfo(spec.backend, node, line)}
}

function indentOfDirective(visit: Visit): string {
  const items = visit.container.items
  const index = items.indexOf(visit.directive)
  const before = items[index - 1]
  return before && (before as Directive).type !== 'directive' && (before as {kind: string}).kind === 'ws' ? (before as {raw: string}).raw : ''
}

function serverLine(written: string, shared: string[], spec: AddServerSpec): string {
  const options = [...shared]
  if (spec.weight !== undefined) {
    if (!Number.isInteger(spec.weight) || spec.weight < 1) {
      throw new UsageError(`nginx weights are whole numbers from 1 up, not ${spec.weight}`, {actions: ['Pass --weight 1 or more.']})
    }
    options.push(`weight=${spec.weight}`)
  }
  if (spec.backup) options.push('backup')
  return `server ${[written, ...options].join(' ')};`
}

function removeServer(doc: NginxDocument, backend: string, ref: ServerRef): EditOutcome {
  const upstream = requireUpstream(doc, backend, walkFor(doc))
  const found = findServer(upstream, ref)
  if (!found) return {changed: false, summary: `upstream ${backend} has no server ${ref}: nothing to remove`}
  removeAt(upstream.block, upstream.block.items.indexOf(found.directive))
  return {changed: true, summary: `removed server ${found.info.name} from upstream ${backend}`, server: found.info}
}

function setServerState(doc: NginxDocument, backend: string, ref: ServerRef, state: ServerState): EditOutcome {
  const upstream = requireUpstream(doc, backend, walkFor(doc))
  const found = findServer(upstream, ref)
  if (!found) throw unknownServer(doc.file, backend, ref, upstream.servers.map((s) => s.info))
  const {directive, info} = found
  const downs = argTokens(directive).filter((a) => a.value === 'down')
  const want = state === 'enabled' ? 'enabled' : 'disabled'
  const note = state === 'drain' ? ' (nginx has no drain: marked down, in-flight requests finish during the reload)' : ''
  if (info.state === want) return {changed: false, summary: `server ${info.name} in upstream ${backend} is already ${want === 'enabled' ? 'enabled' : 'down'}${note}`, server: info}
  if (want === 'enabled') for (const d of downs.reverse()) removeArg(directive, d.index)
  else addArg(directive, 'down')
  const after = serverInfo(backend, directive, info.line)
  return {changed: true, summary: `${want === 'enabled' ? 'enabled' : 'marked down'} server ${info.name} in upstream ${backend}${note}`, server: after}
}

function listRoutes(doc: NginxDocument): RouteInfo[] {
  const visits = walk(doc)
  const names = new Set(upstreams(doc, visits).map((u) => u.name))
  const routes: RouteInfo[] = []
  for (const server of serverBlocks(visits)) {
    for (const location of server.locations) {
      const pass = passOf(location.directive)
      if (!pass || !names.has(pass.target)) continue
      if (isRootLocation(location.directive) && server.names.length > 0) {
        for (const host of server.names) routes.push({frontend: server.label, kind: 'host', match: host, backend: pass.target, line: location.line})
      } else {
        routes.push({frontend: server.label, kind: 'path', match: directiveArgs(location.directive).join(' '), backend: pass.target, line: location.line})
      }
    }
  }
  return routes
}

function pickServerBlock(doc: NginxDocument, blocks: ServerBlock[], frontend: string | undefined): ServerBlock {
  const matches = frontend === undefined ? blocks : blocks.filter((b) => b.names.includes(frontend) || b.label === frontend || b.label === `listen ${frontend}`)
  if (matches.length === 1) return matches[0]
  const labels = blocks.map((b) => b.label)
  if (matches.length === 0 && frontend !== undefined) {
    throw new UsageError(`${doc.file} has no server block for "${frontend}"`, {actions: [labels.length > 0 ? `Server blocks: ${labels.join(', ')}.` : 'Add a server block first.']})
  }
  if (blocks.length === 0) throw new UsageError(`${doc.file} has no server block to route in`, {actions: ['Add a server block, or route by --host, which creates one.']})
  throw new UsageError(`${doc.file} has ${blocks.length} server blocks; say which one with --frontend`, {actions: [`Pass --frontend with one of: ${labels.join(', ')}.`]})
}

function locationSnippet(match: string, backend: string, indent: string, unit: string, eol: string): Directive {
  return parseSnippet(`location ${match} {${eol}${indent}${unit}proxy_pass http://${backend};${eol}${indent}}`)
}

/** Point an existing location at the backend, or say why it cannot be. */
function retargetLocation(doc: NginxDocument, location: Directive, spec: RouteSpec, what: string): EditOutcome {
  const pass = passOf(location)
  if (pass?.target === spec.backend) return {changed: false, summary: `${what} already goes to ${spec.backend}`}
  if (!pass || directiveName(pass.directive) !== 'proxy_pass') {
    throw new UsageError(`${what} is served by its own location block, which does not proxy_pass`, {
      actions: [`Edit that location in ${doc.file} by hand, or route another ${spec.kind}.`],
    })
  }
  setArgs(pass.directive, [retarget(directiveArgs(pass.directive)[0] ?? '', spec.backend)])
  return {changed: true, summary: `${what} now goes to ${spec.backend} (was ${pass.target})`}
}

function addRoute(doc: NginxDocument, spec: RouteSpec): EditOutcome {
  const visits = walk(doc)
  const known = upstreams(doc, visits)
  if (!known.some((u) => u.name === spec.backend)) {
    throw unknownBackend(doc.file, 'upstream', spec.backend, known.map(toBackendInfo), [
      `Create it with a first server: backend add ${spec.backend} ADDRESS:PORT --create.`,
    ])
  }
  const eol = doc.eol()
  const unit = indentUnit(visits)
  const blocks = serverBlocks(visits)
  const outcome = spec.kind === 'host' ? addHostRoute(doc, spec, blocks, visits, unit, eol) : addPathRoute(doc, spec, blocks, unit, eol)
  const route = listRoutes(doc).find((r) => r.kind === spec.kind && sameMatch(spec.kind, r.match, spec.match) && r.backend === spec.backend)
  return {...outcome, route}
}

function addHostRoute(doc: NginxDocument, spec: RouteSpec, blocks: ServerBlock[], visits: Visit[], unit: string, eol: string): EditOutcome {
  const server = blocks.find((b) => b.names.some((n) => sameMatch('host', n, spec.match)))
  if (server) {
    const root = server.locations.find((l) => l.parents.at(-1) === server.visit.directive && isRootLocation(l.directive))
    if (root) return retargetLocation(doc, root.directive, spec, `host ${spec.match}`)
    const indent = childIndent(server.block) ?? unit
    const node = locationSnippet('/', spec.backend, indent, unit, eol)
    appendAfterLast(server.block, node, 'location', indent, eol)
    return {changed: true, summary: `routed host ${spec.match} to ${spec.backend} (location / in its server block)`}
  }
  const last = blocks.at(-1)
  const home = last?.visit.container ?? upstreamHome(doc, visits)
  const indent = childIndent(home) ?? ''
  const inner = indent + unit
  const node = parseSnippet(
    [
      'server {',
      ...siteListen(blocks.filter((b) => b.visit.container === home)).map((line) => `${inner}${line}`),
      `${inner}server_name ${spec.match};`,
      `${inner}location / {`,
      `${inner}${unit}proxy_pass http://${spec.backend};`,
      `${inner}}`,
      `${indent}}`,
    ].join(eol),
  )
  if (last) insertAfter(home, home.items.indexOf(last.visit.directive), node, eol)
  else append(home, node, indent, eol)
  return {changed: true, summary: `routed host ${spec.match} to ${spec.backend} (new server block)`}
}

/**
 * Parameters of `listen` that nginx allows once per address:port across all
 * server blocks (a second copy is "duplicate listen options"): the new block
 * shares the socket without them.
 */
const SOCKET_OPTIONS = /^(default_server|default|bind|deferred|reuseport|backlog=|rcvbuf=|sndbuf=|accept_filter=|ipv6only=|so_keepalive=|fastopen=|setfib=)/

/**
 * The listen lines a new server block needs to be reached where the site is
 * served: every address:port the site's server blocks listen on (each once,
 * in the order the file first names it), without the once-per-socket
 * parameters; with `ssl`, the certificate lines of the block it came from.
 * A file with no server block yet gets nginx's own default, port 80.
 */
function siteListen(blocks: ServerBlock[]): string[] {
  const listens = new Map<string, string[]>()
  const certificates: string[] = []
  for (const server of blocks) {
    for (const d of childDirectives(server.block)) {
      if (directiveName(d) !== 'listen') continue
      const args = directiveArgs(d).filter((a) => !SOCKET_OPTIONS.test(a))
      if (args.length === 0 || listens.has(args[0])) continue
      listens.set(args[0], args)
      if (args.includes('ssl') && certificates.length === 0) {
        for (const c of childDirectives(server.block)) {
          if (['ssl_certificate', 'ssl_certificate_key'].includes(directiveName(c))) certificates.push(`${directiveName(c)} ${directiveArgs(c).join(' ')};`)
        }
      }
    }
  }
  if (listens.size === 0) return ['listen 80;']
  return [...[...listens.values()].map((args) => `listen ${args.join(' ')};`), ...certificates]
}

function addPathRoute(doc: NginxDocument, spec: RouteSpec, blocks: ServerBlock[], unit: string, eol: string): EditOutcome {
  const server = pickServerBlock(doc, blocks, spec.frontend)
  const existing = childDirectives(server.block).find((d) => directiveName(d) === 'location' && directiveArgs(d).join(' ') === spec.match)
  if (existing) return retargetLocation(doc, existing, spec, `path ${spec.match} in ${server.label}`)
  const indent = childIndent(server.block) ?? unit
  appendAfterLast(server.block, locationSnippet(spec.match, spec.backend, indent, unit, eol), 'location', indent, eol)
  return {changed: true, summary: `routed path ${spec.match} in ${server.label} to ${spec.backend}`}
}

/** Insert after the last sibling with that name, or at the block's end. */
function appendAfterLast(block: Block, node: Directive, name: string, indent: string, eol: string): void {
  const last = childDirectives(block).filter((d) => directiveName(d) === name).at(-1)
  if (last) insertAfter(block, block.items.indexOf(last), node, eol)
  else append(block, node, indent, eol)
}

function removeRoute(doc: NginxDocument, spec: RouteSpec): EditOutcome {
  const blocks = serverBlocks(walk(doc))
  const nothing = {changed: false, summary: `no ${spec.kind} route ${spec.match} to ${spec.backend}: nothing to remove`}
  if (spec.kind === 'host') {
    const server = blocks.find((b) => b.names.some((n) => sameMatch('host', n, spec.match)))
    const root = server?.locations.find((l) => l.parents.at(-1) === server.visit.directive && isRootLocation(l.directive))
    if (!server || !root) return nothing
    checkTarget(doc, root.directive, spec)
    const written = server.names.find((n) => sameMatch('host', n, spec.match)) ?? spec.match
    const nameDirective = childDirectives(server.block).find((d) => directiveName(d) === 'server_name' && directiveArgs(d).includes(written))
    if (nameDirective && server.names.length > 1) {
      removeArg(nameDirective, argTokens(nameDirective).find((a) => a.value === written)?.index ?? -1)
      return {changed: true, summary: `removed host ${written} from the server block of ${server.names.find((n) => n !== written)}`}
    }
    const onlyRouting = childDirectives(server.block).every((d) => ['listen', 'server_name', 'ssl_certificate', 'ssl_certificate_key'].includes(directiveName(d)) || d === root.directive)
    if (onlyRouting) {
      const container = server.visit.container
      removeAt(container, container.items.indexOf(server.visit.directive))
      return {changed: true, summary: `removed the server block routing host ${spec.match} to ${spec.backend}`}
    }
    removeAt(server.block, server.block.items.indexOf(root.directive))
    return {changed: true, summary: `removed location / (host ${spec.match} → ${spec.backend})`}
  }
  const server = pickServerBlock(doc, blocks, spec.frontend)
  const location = childDirectives(server.block).find((d) => directiveName(d) === 'location' && directiveArgs(d).join(' ') === spec.match)
  if (!location) return nothing
  checkTarget(doc, location, spec)
  removeAt(server.block, server.block.items.indexOf(location))
  return {changed: true, summary: `removed path ${spec.match} → ${spec.backend} from ${server.label}`}
}

function checkTarget(doc: NginxDocument, location: Directive, spec: RouteSpec): void {
  const target = passOf(location)?.target
  if (target !== spec.backend) {
    throw new UsageError(`${spec.kind} ${spec.match} goes to ${target ?? 'no upstream'}, not ${spec.backend}`, {
      actions: [`Check the routes with: route list --file ${doc.file}.`],
    })
  }
}

function setAffinity(doc: NginxDocument, spec: AffinitySpec): EditOutcome {
  const upstream = requireUpstream(doc, spec.backend, walkFor(doc))
  return setUpstreamAffinity(doc, spec.backend, upstream.block, spec, indentUnit(walk(doc)))
}

export const nginxEngine: Engine<NginxDocument> = {
  name: 'nginx',
  parse: parseNginx,
  listBackends: (doc) => upstreams(doc).map(toBackendInfo),
  addServer,
  removeServer,
  // Each add and removal finds its place again: lossless by construction, linear per server.
  addServers: (doc, specs) => specs.map((spec) => addServer(doc, spec)),
  removeServers: (doc, backend, refs) => refs.map((ref) => removeServer(doc, backend, ref)),
  setServerState,
  listRoutes,
  addRoute,
  removeRoute,
  setAffinity,
  validate: validateNginx,
  tls: {addTls, removeTls, listTls},
}
