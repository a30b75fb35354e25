/** Backend edits: list, add, remove and change the state of servers. */
import {UsageError} from '../../errors.js'
import {formatEndpoint} from '../address.js'
import type {AddServerSpec, BackendInfo, EditOutcome, ServerInfo, ServerRef, ServerState} from '../engine.js'
import type {HaproxyDocument, Section} from './document.js'
import {quoteWord} from './lexer.js'
import {appendSection, indentNear, lastDirective} from './layout.js'
import {CHECK_OPTIONS, optionGroups, PER_SERVER, readServer, splitAddress, withState} from './servers.js'

export const BACKEND_KINDS = ['backend', 'listen'] as const

/** Characters HAProxy accepts in proxy and server names. */
const NAME = /^[A-Za-z0-9_.:-]+$/

export function checkName(name: string, what: string): void {
  if (!NAME.test(name)) {
    throw new UsageError(`${what} "${name}" has characters HAProxy refuses`, {
      actions: ['Use only letters, digits, ".", "-", "_" and ":".'],
    })
  }
}

function serverLines(doc: HaproxyDocument, section: Section): number[] {
  const out: number[] = []
  for (let i = section.header + 1; i < section.end; i++) {
    const keyword = doc.lines[i].words[0]?.value
    if (keyword === 'server' || keyword === 'server-template') out.push(i)
  }
  return out
}

function servers(doc: HaproxyDocument, section: Section): ServerInfo[] {
  return serverLines(doc, section)
    .map((i) => readServer(doc.lines[i], i, section.name))
    .filter((s): s is ServerInfo => s !== undefined)
}

export function listBackends(doc: HaproxyDocument): BackendInfo[] {
  return doc
    .sections()
    .filter((s) => (BACKEND_KINDS as readonly string[]).includes(s.kind))
    .map((s) => ({name: s.name, kind: s.kind, line: s.header + 1, servers: servers(doc, s)}))
}

export function requireBackend(doc: HaproxyDocument, name: string): Section {
  const section = doc.find(BACKEND_KINDS, name)
  if (section) return section
  const known = listBackends(doc).map((b) => b.name)
  throw new UsageError(`no backend "${name}" in ${doc.file}`, {
    actions: [known.length > 0 ? `Backends there: ${known.join(', ')}.` : 'The file has no backend sections.', 'Pass --create to create it.'],
    data: {file: doc.file},
  })
}

function sameEndpoint(server: ServerInfo, address: string, port: number): boolean {
  return server.port === port && server.address.toLowerCase() === address.toLowerCase()
}

/** Find a server by name, else by address:port. */
function findServer(list: ServerInfo[], ref: ServerRef): ServerInfo[] {
  const byName = list.filter((s) => s.name === ref)
  if (byName.length > 0) return byName.slice(0, 1)
  const {address, port} = splitAddress(ref)
  return port === undefined ? [] : list.filter((s) => sameEndpoint(s, address, port))
}

function uniqueName(taken: Set<string>, base: string): string {
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
}

/** The options every sibling server shares, as the last sibling writes them, less per-server ones. */
function sharedOptions(doc: HaproxyDocument, siblings: number[], check: boolean): string[] {
  const plain = siblings.filter((i) => doc.lines[i].words[0].value === 'server')
  if (plain.length === 0) return check ? ['check'] : []
  const keyOf = (words: {value: string}[]): string => words.map((w) => w.value).join(' ')
  const sets = plain.map((i) => new Set(optionGroups(doc.lines[i].words, 3).map((g) => keyOf(g.words))))
  const last = doc.lines[plain.at(-1)!]
  return optionGroups(last.words, 3)
    .filter((g) => !PER_SERVER.has(g.keyword) && (check || !CHECK_OPTIONS.has(g.keyword)))
    .filter((g) => sets.every((s) => s.has(keyOf(g.words))))
    .map((g) => g.words.map((w) => w.raw).join(' '))
}

export function addServer(doc: HaproxyDocument, spec: AddServerSpec): EditOutcome {
  if (spec.name !== undefined) checkName(spec.name, 'server name')
  let section = doc.find(BACKEND_KINDS, spec.backend)
  let created = false
  if (!section) {
    if (!spec.create) requireBackend(doc, spec.backend)
    checkName(spec.backend, 'backend name')
    section = appendSection(doc, `backend ${spec.backend}`, [])
    created = true
  }
  const list = servers(doc, section)
  const endpoint = formatEndpoint(spec)
  const present = list.find((s) => sameEndpoint(s, spec.address, spec.port))
  if (present && (spec.name === undefined || present.name === spec.name)) {
    return {changed: false, summary: `server ${present.name} ${endpoint} is already in backend ${spec.backend}`, server: present}
  }
  const taken = new Set(list.map((s) => s.name))
  if (spec.name !== undefined && taken.has(spec.name)) {
    const other = list.find((s) => s.name === spec.name)!
    throw new UsageError(`backend ${spec.backend} already has a server named ${spec.name} (${other.address}:${other.port ?? ''}, line ${other.line})`, {
      actions: ['Pick another --name, or remove that server first.'],
    })
  }
  const name = spec.name ?? uniqueName(taken, `${spec.address}:${spec.port}`.replaceAll(/[^A-Za-z0-9_.:-]/g, '_'))
  const siblings = serverLines(doc, section)
  const options = sharedOptions(doc, siblings, spec.check !== false)
  const words: string[] = [...options.filter((o) => spec.weight === undefined || !o.startsWith('weight '))]
  if (spec.weight !== undefined) words.push(`weight ${spec.weight}`)
  if (spec.backup) words.push('backup')

  const anchor = siblings.at(-1) ?? lastDirective(doc, section)
  const model = siblings.length > 0 ? doc.lines[siblings.at(-1)!] : undefined
  const gap = (k: number): string => {
    const [a, b] = [model?.words[k], model?.words[k + 1]]
    return a && b && model?.words[0].value === 'server' ? model.text.slice(a.start + a.raw.length, b.start) : ' '
  }
  const text = `${indentNear(doc, section, anchor)}server${gap(0)}${quoteWord(name)}${gap(1)}${endpoint}${words.map((w) => ` ${w}`).join('')}`
  const index = doc.insertAfter(anchor, text)
  const server = readServer(doc.lines[index], index, spec.backend)!
  const verb = created ? `created backend ${spec.backend} with` : 'added'
  return {changed: true, summary: `${verb} server ${name} ${endpoint}${created ? '' : ` to backend ${spec.backend}`}`, server}
}

export function removeServer(doc: HaproxyDocument, backend: string, ref: ServerRef): EditOutcome {
  const section = requireBackend(doc, backend)
  const found = findServer(servers(doc, section), ref)
  if (found.length === 0) return {changed: false, summary: `backend ${backend} has no server ${ref}: nothing to remove`}
  if (found.length > 1) {
    throw new UsageError(`${ref} matches ${found.length} servers in backend ${backend}: ${found.map((s) => s.name).join(', ')}`, {
      actions: ['Name the server to remove.'],
    })
  }
  const [server] = found
  doc.remove(server.line - 1)
  return {changed: true, summary: `removed server ${server.name} ${server.address}:${server.port ?? ''} from backend ${backend}`, server}
}

export function setServerState(doc: HaproxyDocument, backend: string, ref: ServerRef, state: ServerState): EditOutcome {
  const section = requireBackend(doc, backend)
  const list = servers(doc, section)
  const [server] = findServer(list, ref)
  if (!server) {
    throw new UsageError(`backend ${backend} has no server ${ref}`, {
      actions: [list.length > 0 ? `Servers there: ${list.map((s) => s.name).join(', ')}.` : 'The backend has no servers.'],
    })
  }
  const index = server.line - 1
  const text = withState(doc.lines[index], state)
  if (text === doc.lines[index].text) return {changed: false, summary: `server ${backend}/${server.name} is already ${state}`, server}
  doc.replace(index, text)
  return {changed: true, summary: `server ${backend}/${server.name}: ${server.state} → ${state}`, server: readServer(doc.lines[index], index, backend)}
}
