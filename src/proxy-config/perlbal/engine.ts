/**
 * The perlbal engine. Backends are pools; servers their `POOL name ADD
 * ip:port` lines. perlbal keeps no per-node state in its config and has no
 * weights, backups or drain: disable (and drain) keep the ADD line behind a
 * `# disabled: ` marker, so the node leaves the pool at the next start and
 * `enable` restores the line byte for byte. Routes are the vhosts plugin's
 * VHOST lines (host) and the vpaths plugin's VPATH lines (path).
 */
import {UsageError} from '../../errors.js'
import {sameMatch, type AddServerSpec, type AffinitySpec, type BackendInfo, type EditOutcome, type Engine, type RouteInfo, type RouteSpec, type ServerInfo, type ServerRef, type ServerState} from '../engine.js'
import {endpointMatches, parseEndpoint} from '../endpoint.js'
import {addressAsName, optionNotSupported, unknownBackend, unknownServer} from '../edit-errors.js'
import {indentation, insertLines, removeLines} from '../lines.js'
import {DISABLED_MARK, parsePerlbal, type PerlbalDocument, type Pool, type PoolNode, readModel, type Service} from './document.js'
import {addTls, listTls, removeTls} from './tls.js'
import {validatePerlbal} from './validate.js'

const DEFAULT_PORT = 80

function serverInfo(node: PoolNode): ServerInfo {
  const endpoint = parseEndpoint(node.endpoint.value)
  return {
    backend: node.pool,
    name: node.endpoint.value,
    address: endpoint.address,
    port: endpoint.port ?? DEFAULT_PORT,
    state: node.disabled ? 'disabled' : 'enabled',
    backup: false,
    options: [],
    line: node.index + 1,
  }
}

function listBackends(doc: PerlbalDocument): BackendInfo[] {
  return readModel(doc)
    .pools.filter((p) => p.index >= 0)
    .map((p) => ({name: p.name, kind: 'POOL', line: p.index + 1, servers: p.nodes.map((n) => serverInfo(n)), affinity: {mode: 'off' as const}}))
}

function requirePool(doc: PerlbalDocument, name: string, next?: string[]): Pool {
  const pool = readModel(doc).pools.find((p) => p.name === name && p.index >= 0)
  if (!pool) throw unknownBackend(doc.file, 'pool', name, listBackends(doc), next)
  return pool
}

function findNode(pool: Pool, ref: ServerRef): PoolNode | undefined {
  return pool.nodes.find((n) => endpointMatches(ref, n.endpoint.value, parseEndpoint(n.endpoint.value), DEFAULT_PORT))
}

function addServer(doc: PerlbalDocument, spec: AddServerSpec): EditOutcome {
  const written = addressAsName('perlbal', spec)
  if (spec.weight !== undefined) throw optionNotSupported('perlbal', 'weight', 'every node of a pool gets an equal share')
  if (spec.backup) throw optionNotSupported('perlbal', 'backup', 'a pool has no backup nodes')
  const model = readModel(doc)
  const pool = model.pools.find((p) => p.name === spec.backend && p.index >= 0)
  const eol = doc.eol()
  if (!pool) {
    if (!spec.create) throw unknownBackend(doc.file, 'pool', spec.backend, listBackends(doc))
    return createPool(doc, spec.backend, written, model.services[0]?.index, eol)
  }
  const existing = findNode(pool, written)
  if (existing) return {changed: false, summary: `${written} is already in pool ${pool.name}`, server: serverInfo(existing)}
  if (pool.nodefile !== undefined) {
    throw new UsageError(`pool ${pool.name} reads its nodes from ${pool.nodefile}`, {actions: [`Add ${written} to ${pool.nodefile}; perlbal picks the change up by itself.`]})
  }
  const last = pool.nodes.at(-1)
  let text: string
  let after: number
  if (last) {
    // Copy the sibling line (indentation, keyword case, spacing) with the address swapped.
    const sibling = doc.lines[last.index].text.replace(/^([ \t]*)# disabled: /, '$1')
    const shift = last.disabled ? DISABLED_MARK.length : 0
    text = sibling.slice(0, last.endpoint.start - shift) + written + sibling.slice(last.endpoint.end - shift)
    after = last.index
  } else {
    const create = doc.lines[pool.index].text
    const next = doc.lines[pool.index + 1]?.text ?? ''
    const indent = indentation(next) || '  '
    text = `${indent}${caseLike(create, 'POOL')} ${pool.name} ${caseLike(create, 'ADD')} ${written}`
    after = pool.index
  }
  insertLines(doc.lines, after, [text], doc.lines[after].eol || eol)
  return {changed: true, summary: `added ${written} to pool ${pool.name}`, server: serverInfo({pool: pool.name, index: after + 1, endpoint: {value: written, start: 0, end: 0}, disabled: false})}
}

/** Commands are case-insensitive; new ones follow the case of the line they join. */
function caseLike(sample: string, word: string): string {
  return /^\s*[a-z]/.test(sample) ? word.toLowerCase() : word
}

function createPool(doc: PerlbalDocument, name: string, written: string, beforeIndex: number | undefined, eol: string): EditOutcome {
  const texts = [`CREATE POOL ${name}`, `  POOL ${name} ADD ${written}`, '']
  if (beforeIndex === undefined) insertLines(doc.lines, doc.lines.length - 1, ['', ...texts.slice(0, 2)], eol)
  else insertLines(doc.lines, beforeIndex - 1, texts, eol)
  const created = readModel(doc).pools.find((p) => p.name === name)
  const node = created?.nodes[0]
  return {changed: true, summary: `created pool ${name} with ${written}`, server: node ? serverInfo(node) : undefined}
}

function removeServer(doc: PerlbalDocument, backend: string, ref: ServerRef): EditOutcome {
  const pool = requirePool(doc, backend)
  const node = findNode(pool, ref)
  if (!node) return {changed: false, summary: `pool ${backend} has no node ${ref}: nothing to remove`}
  const info = serverInfo(node)
  removeLines(doc.lines, node.index, 1)
  return {changed: true, summary: `removed ${info.name} from pool ${backend}`, server: info}
}

function setServerState(doc: PerlbalDocument, backend: string, ref: ServerRef, state: ServerState): EditOutcome {
  const pool = requirePool(doc, backend)
  const node = findNode(pool, ref)
  if (!node) throw unknownServer(doc.file, backend, ref, pool.nodes.map((n) => ({name: n.endpoint.value})))
  const disable = state !== 'enabled'
  const note = state === 'drain' ? ' (perlbal has no drain: the node leaves the pool at the next start)' : ''
  const word = disable ? 'disabled' : 'enabled'
  if (node.disabled === disable) return {changed: false, summary: `${node.endpoint.value} in pool ${backend} is already ${word}${note}`, server: serverInfo(node)}
  const line = doc.lines[node.index]
  const indent = indentation(line.text)
  line.text = disable ? `${indent}${DISABLED_MARK}${line.text.slice(indent.length)}` : `${indent}${line.text.slice(indent.length + DISABLED_MARK.length)}`
  return {changed: true, summary: `${word} ${node.endpoint.value} in pool ${backend}${note}`, server: {...serverInfo(node), state: disable ? 'disabled' : 'enabled'}}
}

function poolOf(service: Service | undefined): string | undefined {
  return service?.settings.get('pool')
}

function listRoutes(doc: PerlbalDocument): RouteInfo[] {
  const model = readModel(doc)
  return model.routes.map((r) => {
    const target = model.services.find((s) => s.name === r.target.value)
    return {frontend: r.selector, kind: r.kind, match: r.match, backend: poolOf(target) ?? r.target.value, line: r.index + 1}
  })
}

/** VPATH takes a regular expression; a plain prefix is anchored at the start. */
function pattern(spec: RouteSpec): string {
  return spec.kind === 'path' && !spec.match.startsWith('^') ? `^${spec.match}` : spec.match
}

function findRoute(doc: PerlbalDocument, spec: RouteSpec, selector: string): ReturnType<typeof readModel>['routes'][number] | undefined {
  return readModel(doc).routes.find((r) => r.selector === selector && r.kind === spec.kind && (sameMatch(spec.kind, r.match, spec.match) || r.match === pattern(spec)))
}

function pickSelector(doc: PerlbalDocument, frontend: string | undefined): Service {
  const services = readModel(doc).services
  const selectors = services.filter((s) => (frontend === undefined ? s.settings.get('role') === 'selector' : s.name === frontend))
  if (selectors.length === 1) return selectors[0]
  if (selectors.length === 0) {
    throw new UsageError(frontend === undefined ? `${doc.file} has no selector service to route in` : `${doc.file} has no service "${frontend}"`, {
      actions: ['Create one: CREATE SERVICE web / SET role = selector / SET plugins = vhosts (or vpaths) / SET listen = …, then route again.'],
    })
  }
  throw new UsageError(`${doc.file} has ${selectors.length} selector services; say which one with --frontend`, {actions: [`Pass --frontend with one of: ${selectors.map((s) => s.name).join(', ')}.`]})
}

function serviceFor(doc: PerlbalDocument, pool: string): Service {
  const service = readModel(doc).services.find((s) => poolOf(s) === pool && (s.settings.get('role') ?? '') === 'reverse_proxy')
  if (!service) {
    requirePool(doc, pool, [])
    throw new UsageError(`no reverse_proxy service in ${doc.file} sends to pool ${pool}`, {
      actions: [`Add one: CREATE SERVICE ${pool}_proxy / SET role = reverse_proxy / SET pool = ${pool} / ENABLE ${pool}_proxy.`],
    })
  }
  return service
}

function addRoute(doc: PerlbalDocument, spec: RouteSpec): EditOutcome {
  const target = serviceFor(doc, spec.backend)
  const selector = pickSelector(doc, spec.frontend)
  const existing = findRoute(doc, spec, selector.name)
  const what = `${spec.kind} ${spec.match} in ${selector.name}`
  const route = (): RouteInfo | undefined => listRoutes(doc).find((r) => r.frontend === selector.name && r.kind === spec.kind && r.backend === spec.backend && (sameMatch(spec.kind, r.match, spec.match) || r.match === pattern(spec)))
  if (existing) {
    if (existing.target.value === target.name) return {changed: false, summary: `${what} already goes to ${spec.backend}`, route: route()}
    const line = doc.lines[existing.index]
    line.text = line.text.slice(0, existing.target.start) + target.name + line.text.slice(existing.target.end)
    return {changed: true, summary: `${what} now goes to ${spec.backend} (was service ${existing.target.value})`, route: route()}
  }
  const model = readModel(doc)
  const siblings = model.routes.filter((r) => r.selector === selector.name && r.kind === spec.kind)
  const after = siblings.at(-1)?.index ?? selector.lastSet
  const keyword = spec.kind === 'host' ? 'VHOST' : 'VPATH'
  const indent = indentation(doc.lines[after].text)
  insertLines(doc.lines, after, [`${indent}${caseLike(doc.lines[after].text, keyword)} ${selector.name} ${pattern(spec)} = ${target.name}`], doc.lines[after].eol || doc.eol())
  return {changed: true, summary: `routed ${what} to ${spec.backend} (service ${target.name})`, route: route()}
}

function removeRoute(doc: PerlbalDocument, spec: RouteSpec): EditOutcome {
  const selector = pickSelector(doc, spec.frontend)
  const existing = findRoute(doc, spec, selector.name)
  if (!existing) return {changed: false, summary: `no ${spec.kind} route ${spec.match} in ${selector.name}: nothing to remove`}
  const backend = poolOf(readModel(doc).services.find((s) => s.name === existing.target.value)) ?? existing.target.value
  if (backend !== spec.backend) {
    throw new UsageError(`${spec.kind} ${spec.match} goes to ${backend}, not ${spec.backend}`, {actions: [`Check the routes with: route list --file ${doc.file}.`]})
  }
  removeLines(doc.lines, existing.index, 1)
  return {changed: true, summary: `removed ${spec.kind} route ${spec.match} → ${spec.backend} from ${selector.name}`}
}

/**
 * perlbal picks a node per request and keeps no session table, cookie or
 * client hash: there is nothing to write. `off` is already true.
 */
function setAffinity(doc: PerlbalDocument, spec: AffinitySpec): EditOutcome {
  requirePool(doc, spec.backend)
  if (spec.mode === 'off') return {changed: false, summary: `pool ${spec.backend} has no affinity (perlbal has none): nothing to turn off`}
  throw new UsageError(`perlbal has no session affinity: it cannot keep a client on one node of pool ${spec.backend} by ${spec.mode === 'cookie' ? 'cookie' : 'client address'}`, {
    actions: [
      'Put the pool behind an engine that has it: haproxy (cookie insert, balance source), nginx (hash $cookie_NAME, ip_hash) or pound (Session).',
      'Or keep the session state out of the web servers (a shared session store), so any node can serve any client.',
    ],
  })
}

export const perlbalEngine: Engine<PerlbalDocument> = {
  name: 'perlbal',
  parse: parsePerlbal,
  listBackends,
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
  validate: validatePerlbal,
  tls: {addTls, removeTls, listTls},
}
