/**
 * The pound engine. A backend is a Service (its quoted name, or `#N` — its
 * place among the file's Services — when unnamed); its servers are its
 * BackEnd blocks, its Emergency block (the backup) and, in pound 4, the
 * named Backends it `Use`s. disable writes `Disabled 1` in the BackEnd;
 * pound has no drain state in its config, so drain does the same (a
 * disabled back-end still serves the sessions it holds). A route is the
 * Service's own match: HeadRequire "Host: …"/URL (2.x) or Host/Path (4.x).
 */
import {UsageError} from '../../errors.js'
import {sameMatch, type AddServerSpec, type AffinitySpec, type BackendInfo, type EditOutcome, type Engine, type RouteInfo, type RouteSpec, type ServerInfo, type ServerRef, type ServerState} from '../engine.js'
import {endpointMatches, formatEndpoint} from '../endpoint.js'
import {addressAsName, unknownBackend, unknownServer} from '../edit-errors.js'
import {indentation, insertLines, removeLines} from '../lines.js'
import {parsePound, parsePoundTree, type PoundBlock, type PoundDocument, type PoundTree, type Statement} from './document.js'
import {readAffinity, setServiceAffinity} from './affinity.js'
import {addTls, isRedirectService, listTls, removeTls} from './tls.js'
import {validatePound} from './validate.js'

interface Service {
  name: string
  block: PoundBlock
  frontend: string
}

interface Server {
  block: PoundBlock
  info: ServerInfo
  /** Defined at top level and reached through `Use`: not the Service's to edit. */
  shared: boolean
}

/** Per-server lines a new BackEnd never copies from its siblings. */
const PER_SERVER = new Set(['ADDRESS', 'PORT', 'PRIORITY', 'DISABLED'])
const CHECK = new Set(['HAPORT'])

function value(block: PoundBlock, keyword: string): string | undefined {
  return block.statements.find((s) => s.keyword === keyword)?.words.at(-1)?.value
}

function services(tree: PoundTree): Service[] {
  // The redirects tls add --redirect-http writes are hactl's, not backends, and do not count in `#N`.
  return tree.blocks
    .filter((b) => b.keyword === 'SERVICE' && !isRedirectService(b))
    .map((block, i) => {
      let listener = block.parent
      while (listener && !listener.keyword.startsWith('LISTEN')) listener = listener.parent
      const frontend = listener ? `${listener.words[0].value} ${listener.words[1]?.value ?? formatEndpoint(value(listener, 'ADDRESS') ?? '*', Number(value(listener, 'PORT')) || undefined)}` : 'global'
      return {name: block.words[1]?.value ?? `#${i + 1}`, block, frontend}
    })
}

function serverInfo(service: string, block: PoundBlock, line: number): ServerInfo {
  const address = value(block, 'ADDRESS') ?? ''
  const portText = value(block, 'PORT')
  const port = portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : undefined
  const priority = value(block, 'PRIORITY')
  return {
    backend: service,
    name: block.keyword === 'BACKEND' && block.words[1] ? block.words[1].value : formatEndpoint(address, port),
    address,
    port,
    state: value(block, 'DISABLED') === '1' ? 'disabled' : 'enabled',
    weight: priority === undefined ? undefined : Number(priority),
    backup: block.keyword === 'EMERGENCY',
    options: block.statements.filter((s) => !['ADDRESS', 'PORT'].includes(s.keyword)).map((s) => s.words.map((w) => w.value).join(' ')),
    line,
  }
}

function servers(tree: PoundTree, service: Service): Server[] {
  const own = service.block.blocks
    .filter((b) => b.keyword === 'BACKEND' || b.keyword === 'EMERGENCY')
    .map((block) => ({block, info: serverInfo(service.name, block, block.index + 1), shared: false}))
  const used = service.block.statements
    .filter((s) => s.keyword === 'USE' && s.words[1])
    .flatMap((s) => tree.root.blocks.filter((b) => b.keyword === 'BACKEND' && b.words[1]?.value === s.words[1].value))
    .map((block) => ({block, info: serverInfo(service.name, block, block.index + 1), shared: true}))
  return [...own, ...used]
}

function listBackends(doc: PoundDocument): BackendInfo[] {
  const tree = parsePoundTree(doc)
  return services(tree).map((s) => ({name: s.name, kind: 'Service', line: s.block.index + 1, servers: servers(tree, s).map((x) => x.info), affinity: readAffinity(s.block)}))
}

function requireService(doc: PoundDocument, tree: PoundTree, name: string): Service {
  const found = services(tree).find((s) => s.name === name)
  if (!found) throw unknownBackend(doc.file, 'Service', name, listBackends(doc))
  return found
}

function findServer(list: Server[], ref: ServerRef): Server | undefined {
  return list.find((s) => endpointMatches(ref, s.info.name, s.info) || endpointMatches(ref, formatEndpoint(s.info.address, s.info.port), s.info))
}

/** The indentation one level deeper than `outer`, as the file writes it. */
function unitOf(doc: PoundDocument, tree: PoundTree): string {
  for (const block of tree.blocks) {
    const first = block.statements[0] ?? block.blocks[0]
    if (!first) continue
    const outer = indentation(doc.lines[block.index].text)
    const inner = indentation(doc.lines[first.index].text)
    if (inner.startsWith(outer) && inner.length > outer.length) return inner.slice(outer.length)
  }
  return '    '
}

/** `Keyword<gap>value`, with the gap the sibling line used. */
function statementLike(doc: PoundDocument, sample: Statement | undefined, indent: string, keyword: string, text: string): string {
  if (!sample || !sample.words[1]) return `${indent}${keyword} ${text}`
  const line = doc.lines[sample.index].text
  const written = sample.keyword === keyword.toUpperCase() ? line.slice(sample.words[0].start, sample.words[0].end) : keyword
  return `${indentation(line)}${written}${line.slice(sample.words[0].end, sample.words[1].start)}${text}`
}

/** The lines of a new BackEnd (or Emergency) block: the last sibling's shape with its own values. */
function backendLines(doc: PoundDocument, tree: PoundTree, service: Service, siblings: Server[], spec: AddServerSpec): string[] {
  const own = siblings.filter((s) => !s.shared && !s.info.backup)
  const sample = own.at(-1)?.block
  const unit = unitOf(doc, tree)
  const outer = sample ? indentation(doc.lines[sample.index].text) : indentation(doc.lines[service.block.index].text) + unit
  const inner = sample?.statements[0] ? indentation(doc.lines[sample.statements[0].index].text) : outer + unit
  const keyword = spec.backup ? 'Emergency' : sample && !sample.words[1] ? doc.lines[sample.index].text.trim().split(/\s/)[0] : 'BackEnd'
  const find = (k: string): Statement | undefined => sample?.statements.find((s) => s.keyword === k)
  const lines = [`${outer}${keyword}`, statementLike(doc, find('ADDRESS'), inner, 'Address', spec.address), statementLike(doc, find('PORT'), inner, 'Port', String(spec.port))]
  if (spec.weight !== undefined) {
    if (!Number.isInteger(spec.weight) || spec.weight < 1 || spec.weight > 9) throw new UsageError(`pound priorities run from 1 to 9, not ${spec.weight}`, {actions: ['Pass --weight between 1 and 9.']})
    lines.push(statementLike(doc, find('PRIORITY') ?? find('PORT'), inner, 'Priority', String(spec.weight)))
  }
  // Lines every sibling has, word for word (TimeOut, HTTPS, …), except per-server ones.
  const texts = (b: PoundBlock): string[] => b.statements.filter((s) => !PER_SERVER.has(s.keyword) && (spec.check !== false || !CHECK.has(s.keyword))).map((s) => s.words.map((w) => w.value).join(' '))
  if (sample) {
    for (const s of sample.statements) {
      const text = s.words.map((w) => w.value).join(' ')
      if (texts(sample).includes(text) && own.every((o) => texts(o.block).includes(text))) {
        const line = doc.lines[s.index].text
        const comment = line.indexOf('#', s.words.at(-1)?.end ?? 0)
        lines.push((comment < 0 ? line : line.slice(0, comment)).trimEnd())
      }
    }
  }
  lines.push(`${outer}${sample ? (doc.lines[sample.endIndex].text.trim().split(/\s/)[0] ?? 'End') : 'End'}`)
  return lines
}

function isBlank(doc: PoundDocument, index: number): boolean {
  return doc.lines[index] !== undefined && doc.lines[index].text.trim() === ''
}

function addServer(doc: PoundDocument, spec: AddServerSpec): EditOutcome {
  const written = addressAsName('pound', spec)
  const tree = parsePoundTree(doc)
  const eol = doc.eol()
  const service = services(tree).find((s) => s.name === spec.backend)
  if (!service) {
    if (!spec.create) throw unknownBackend(doc.file, 'Service', spec.backend, listBackends(doc))
    return createService(doc, tree, spec, eol)
  }
  const list = servers(tree, service)
  const existing = findServer(list, written)
  if (existing) return {changed: false, summary: `${written} is already a back-end of Service ${service.name}`, server: existing.info}
  if (spec.backup && list.some((s) => s.info.backup)) {
    throw new UsageError(`Service ${service.name} already has its Emergency back-end`, {actions: ['pound keeps one Emergency back-end per Service: remove it first, or add this one without --backup.']})
  }
  const lines = backendLines(doc, tree, service, list, spec)
  const own = list.filter((s) => !s.shared)
  const last = own.at(-1)?.block
  let after = last ? last.endIndex : service.block.endIndex - 1
  // Keep the blank line the file puts between back-ends.
  if (last && own.length > 1 && isBlank(doc, last.index - 1)) lines.unshift('')
  if (!last) after = Math.max(service.block.index, ...service.block.statements.map((s) => s.index))
  insertLines(doc.lines, after, lines, doc.lines[after].eol || eol)
  const added = servers(parsePoundTree(doc), {...service, block: findBlockAt(doc, service.block.index)}).find((s) => s.info.name === written)
  return {changed: true, summary: `added ${spec.backup ? 'Emergency ' : ''}back-end ${written} to Service ${service.name}`, server: added?.info}
}

function findBlockAt(doc: PoundDocument, index: number): PoundBlock {
  return parsePoundTree(doc).blocks.find((b) => b.index === index) as PoundBlock
}

function createService(doc: PoundDocument, tree: PoundTree, spec: AddServerSpec, eol: string): EditOutcome {
  const all = services(tree)
  const last = all.at(-1)
  const listener = last?.block.parent ?? tree.blocks.find((b) => b.keyword.startsWith('LISTEN'))
  if (!listener) throw new UsageError(`${doc.file} has no ListenHTTP or ListenHTTPS to put Service ${spec.backend} in`, {actions: ['Add a listener first.']})
  const unit = unitOf(doc, tree)
  const indent = last ? indentation(doc.lines[last.block.index].text) : indentation(doc.lines[listener.index].text) + (listener.index < 0 ? '' : unit)
  const lines = [`${indent}Service "${spec.backend}"`, `${indent}${unit}BackEnd`, `${indent}${unit}${unit}Address ${spec.address}`, `${indent}${unit}${unit}Port ${spec.port}`, `${indent}${unit}End`, `${indent}End`]
  const after = last ? last.block.endIndex : listener.endIndex - 1
  insertLines(doc.lines, after, lines, eol)
  const created = listBackends(doc).find((b) => b.name === spec.backend)
  return {changed: true, summary: `created Service ${spec.backend} with back-end ${formatEndpoint(spec.address, spec.port)}`, server: created?.servers[0]}
}

function removeServer(doc: PoundDocument, backend: string, ref: ServerRef): EditOutcome {
  const tree = parsePoundTree(doc)
  const service = requireService(doc, tree, backend)
  const list = servers(tree, service)
  const found = findServer(list, ref)
  if (!found) return {changed: false, summary: `Service ${backend} has no back-end ${ref}: nothing to remove`}
  if (found.shared) throw sharedBackend(doc, found)
  let start = found.block.index
  let end = found.block.endIndex
  const siblings = list.filter((s) => !s.shared && s !== found)
  const endsSibling = (i: number): boolean => siblings.some((s) => s.block.endIndex === i)
  const startsSibling = (i: number): boolean => siblings.some((s) => s.block.index === i)
  // Take the blank line that separated it from a sibling back-end with it.
  if (isBlank(doc, start - 1) && endsSibling(start - 2)) start--
  else if (isBlank(doc, end + 1) && startsSibling(end + 2)) end++
  removeLines(doc.lines, start, end - start + 1)
  return {changed: true, summary: `removed back-end ${found.info.name} from Service ${backend}`, server: found.info}
}

function sharedBackend(doc: PoundDocument, server: Server): UsageError {
  return new UsageError(`back-end ${server.info.name} is a named Backend other Services may Use`, {actions: [`Edit its definition at ${doc.file}:${server.block.index + 1} by hand.`]})
}

function setServerState(doc: PoundDocument, backend: string, ref: ServerRef, state: ServerState): EditOutcome {
  const tree = parsePoundTree(doc)
  const service = requireService(doc, tree, backend)
  const list = servers(tree, service)
  const found = findServer(list, ref)
  if (!found) throw unknownServer(doc.file, backend, ref, list.map((s) => s.info))
  const disable = state !== 'enabled'
  const word = disable ? 'disabled' : 'enabled'
  const note = state === 'drain' ? ' (pound has no drain: disabled, it keeps serving its open sessions)' : ''
  if ((found.info.state === 'disabled') === disable) return {changed: false, summary: `back-end ${found.info.name} of Service ${backend} is already ${word}${note}`, server: found.info}
  const line = found.block.statements.find((s) => s.keyword === 'DISABLED')
  if (line && !disable) removeLines(doc.lines, line.index, 1)
  else if (line) {
    const text = doc.lines[line.index].text
    const v = line.words[1]
    doc.lines[line.index].text = v ? `${text.slice(0, v.start)}1${text.slice(v.end)}` : `${text} 1`
  } else {
    const anchor = found.block.statements.find((s) => s.keyword === 'PORT') ?? found.block.statements.find((s) => s.keyword === 'ADDRESS')
    const at = anchor?.index ?? found.block.index
    insertLines(doc.lines, at, [statementLike(doc, anchor, indentation(doc.lines[at].text), 'Disabled', '1')], doc.lines[at].eol || doc.eol())
  }
  return {changed: true, summary: `${word} back-end ${found.info.name} of Service ${backend}${note}`, server: {...found.info, state: disable ? 'disabled' : 'enabled'}}
}

interface Condition {
  statement: Statement
  kind: 'host' | 'path'
  match: string
}

function conditions(service: Service): Condition[] {
  const out: Condition[] = []
  for (const s of service.block.statements) {
    const last = s.words.at(-1)?.value ?? ''
    if (s.keyword === 'HEADREQUIRE' && /^host:/i.test(last)) out.push({statement: s, kind: 'host', match: last.replace(/^host:\s*/i, '')})
    else if (s.keyword === 'HOST' && s.words.length > 1) out.push({statement: s, kind: 'host', match: last})
    else if ((s.keyword === 'URL' || s.keyword === 'PATH') && s.words.length > 1) out.push({statement: s, kind: 'path', match: last})
  }
  return out
}

function listRoutes(doc: PoundDocument): RouteInfo[] {
  return services(parsePoundTree(doc)).flatMap((s) => conditions(s).map((c) => ({frontend: s.frontend, kind: c.kind, match: c.match, backend: s.name, line: c.statement.index + 1})))
}

/** pound 4 files speak of Host/Path, Use and named Backends; 2.x of HeadRequire and URL. */
function isPound4(tree: PoundTree): boolean {
  return tree.blocks.some((b) => ['HOST', 'PATH', 'USE'].some((k) => b.statements.some((s) => s.keyword === k)) || (b.keyword === 'BACKEND' && b.words.length > 1) || b.keyword === 'REWRITE')
}

function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, '\\$1')}"`
}

function matches(c: Condition, spec: RouteSpec): boolean {
  return c.kind === spec.kind && (sameMatch(spec.kind, c.match, spec.match) || c.match === `^${spec.match}`)
}

function addRoute(doc: PoundDocument, spec: RouteSpec): EditOutcome {
  const tree = parsePoundTree(doc)
  const service = requireService(doc, tree, spec.backend)
  const route = (): RouteInfo | undefined => listRoutes(doc).find((r) => r.backend === spec.backend && r.kind === spec.kind)
  const current = conditions(service).filter((c) => c.kind === spec.kind)
  if (current.some((c) => matches(c, spec))) return {changed: false, summary: `Service ${service.name} already matches ${spec.kind} ${spec.match}`, route: route()}
  // pound takes the first Service that matches: the same host in another Service of the listener would never be reached.
  const elsewhere = services(tree).filter((s) => s.name !== service.name && s.frontend === service.frontend).flatMap((s) => conditions(s).filter((c) => matches(c, spec)).map((c) => ({s, c})))
  if (spec.kind === 'host' && elsewhere.length > 0) {
    const {s: other, c} = elsewhere[0]
    throw new UsageError(`host ${spec.match} already routes to ${other.name} (line ${c.statement.index + 1}, written ${c.match})`, {
      actions: [`Remove that rule first: route remove --host ${c.match} ${other.name}.`],
    })
  }
  if (current.length > 0) {
    throw new UsageError(`Service ${service.name} already matches ${spec.kind} ${current[0].match}: pound requires all of a Service's conditions`, {
      actions: ['Give the other host or path a Service of its own (backend add NEW ADDRESS:PORT --create), then route it.'],
    })
  }
  const pound4 = isPound4(tree)
  const text = spec.kind === 'host' ? (pound4 ? `Host ${quote(spec.match)}` : `HeadRequire ${quote(`Host: ${spec.match}`)}`) : pound4 ? `Path -beg ${quote(spec.match)}` : `URL ${quote(`^${spec.match}`)}`
  const first = service.block.statements[0] ?? service.block.blocks[0]
  const indent = first ? indentation(doc.lines[first.index].text) : indentation(doc.lines[service.block.index].text) + unitOf(doc, tree)
  insertLines(doc.lines, service.block.index, [`${indent}${text}`], doc.lines[service.block.index].eol || doc.eol())
  return {changed: true, summary: `Service ${service.name} now matches ${spec.kind} ${spec.match}`, route: route()}
}

function removeRoute(doc: PoundDocument, spec: RouteSpec): EditOutcome {
  const tree = parsePoundTree(doc)
  const service = requireService(doc, tree, spec.backend)
  const found = conditions(service).find((c) => matches(c, spec))
  if (!found) return {changed: false, summary: `Service ${service.name} does not match ${spec.kind} ${spec.match}: nothing to remove`}
  removeLines(doc.lines, found.statement.index, 1)
  return {changed: true, summary: `Service ${service.name} no longer matches ${spec.kind} ${spec.match}`}
}

function setAffinity(doc: PoundDocument, spec: AffinitySpec): EditOutcome {
  const tree = parsePoundTree(doc)
  const service = requireService(doc, tree, spec.backend)
  return setServiceAffinity(doc, service.name, service.block, spec, unitOf(doc, tree))
}

export const poundEngine: Engine<PoundDocument> = {
  name: 'pound',
  parse: parsePound,
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
  validate: validatePound,
  tls: {addTls, removeTls, listTls},
}
