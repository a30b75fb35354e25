/** Backend edits: list, add, remove and change the state of servers. */
import {UsageError} from '../../errors.js'
import {formatEndpoint} from '../address.js'
import type {AddServerSpec, BackendInfo, EditOutcome, ServerInfo, ServerRef, ServerState} from '../engine.js'
import type {HaproxyDocument, Section} from './document.js'
import {quoteWord, type Word} from './lexer.js'
import {cookieValue, hasCookieDirective, readAffinity, serverCookies} from './affinity.js'
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
    .map((s) => ({name: s.name, kind: s.kind, line: s.header + 1, servers: servers(doc, s), affinity: readAffinity(doc, s)}))
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

/** A server's name as `backend list` shows it: templates as `prefix[1-N]`. */
function listedName(words: readonly Word[]): string | undefined {
  return words[0].value === 'server-template' ? `${words[1]?.value ?? ''}[1-${words[2]?.value ?? ''}]` : words[1]?.value
}

/** Find a server by name, else by address:port; only lines that may match are read in full. */
function findServer(doc: HaproxyDocument, section: Section, ref: ServerRef): ServerInfo[] {
  const lines = serverLines(doc, section)
  const named = lines.find((i) => listedName(doc.lines[i].words) === ref)
  if (named !== undefined) return [readServer(doc.lines[named], named, section.name)!]
  const {address, port} = splitAddress(ref)
  if (port === undefined) return []
  return lines
    .filter((i) => doc.lines[i].words[2]?.value.endsWith(`:${port}`))
    .map((i) => readServer(doc.lines[i], i, section.name))
    .filter((s): s is ServerInfo => s !== undefined && sameEndpoint(s, address, port))
}

function uniqueName(taken: Set<string>, base: string): string {
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
}

/**
 * The options every sibling server shares, as the last sibling writes them,
 * less per-server ones. Candidates come from the last sibling and are checked
 * word by word against the others, so a 10k-server backend costs one pass.
 */
function sharedOptions(doc: HaproxyDocument, siblings: number[], check: boolean): string[] {
  const plain = siblings.filter((i) => doc.lines[i].words[0].value === 'server')
  if (plain.length === 0) return check ? ['check'] : []
  const candidates = optionGroups(doc.lines[plain.at(-1)!].words, 3).filter((g) => !PER_SERVER.has(g.keyword) && (check || !CHECK_OPTIONS.has(g.keyword)))
  for (const i of plain) {
    const words = doc.lines[i].words
    for (let k = candidates.length - 1; k >= 0; k--) if (!hasGroup(words, candidates[k].words)) candidates.splice(k, 1)
    if (candidates.length === 0) break
  }
  return candidates.map((g) => g.words.map((w) => w.raw).join(' '))
}

/** Whether the option words (keyword and argument) appear in order among a server line's options. */
function hasGroup(words: readonly Word[], group: readonly Word[]): boolean {
  outer: for (let j = 3; j + group.length <= words.length; j++) {
    for (let k = 0; k < group.length; k++) if (words[j + k].value !== group[k].value) continue outer
    return true
  }
  return false
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
  const siblings = serverLines(doc, section)
  const endpoint = formatEndpoint(spec)
  const portSuffix = `:${spec.port}`
  const wanted = spec.name ?? `${spec.address}:${spec.port}`.replaceAll(/[^A-Za-z0-9_.:-]/g, '_')
  let nameTaken = false
  // One pass over the siblings without reading them in full: that is what a 10k-server backend costs.
  for (const i of siblings) {
    const [, name, address] = doc.lines[i].words
    if (!name) continue
    if (name.value === wanted) nameTaken = true
    if (address?.value.endsWith(portSuffix) && (spec.name === undefined || spec.name === name.value)) {
      const server = readServer(doc.lines[i], i, spec.backend)
      if (server && sameEndpoint(server, spec.address, spec.port)) {
        return {changed: false, summary: `server ${named(server.name, endpoint)} is already in backend ${spec.backend}`, server}
      }
    }
  }
  if (spec.name !== undefined && nameTaken) {
    const other = servers(doc, section).find((s) => s.name === spec.name)!
    throw new UsageError(`backend ${spec.backend} already has a server named ${spec.name} (${other.address}:${other.port ?? ''}, line ${other.line})`, {
      actions: ['Pick another --name, or remove that server first.'],
    })
  }
  const name = nameTaken ? uniqueName(new Set(siblings.map((i) => doc.lines[i].words[1]?.value ?? '')), wanted) : wanted
  const options = sharedOptions(doc, siblings, spec.check !== false)
  const words: string[] = [...options.filter((o) => spec.weight === undefined || !o.startsWith('weight '))]
  if (spec.weight !== undefined) words.push(`weight ${spec.weight}`)
  if (spec.backup) words.push('backup')
  // With cookie affinity every server needs a value of its own, or clients sent to it would not stay.
  if (hasCookieDirective(doc, section)) words.push(`cookie ${cookieValue(name, serverCookies(doc, section))}`)

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
  return {changed: true, summary: `${verb} server ${named(name, endpoint)}${created ? '' : ` to backend ${spec.backend}`}`, server}
}

/** `web3 10.0.1.7:8080`, or the address alone when the server is named by it. */
function named(name: string, endpoint: string): string {
  return name === endpoint ? endpoint : `${name} ${endpoint}`
}

export function removeServer(doc: HaproxyDocument, backend: string, ref: ServerRef): EditOutcome {
  const section = requireBackend(doc, backend)
  const found = findServer(doc, section, ref)
  if (found.length === 0) return {changed: false, summary: `backend ${backend} has no server ${ref}: nothing to remove`}
  if (found.length > 1) {
    throw new UsageError(`${ref} matches ${found.length} servers in backend ${backend}: ${found.map((s) => s.name).join(', ')}`, {
      actions: ['Name the server to remove.'],
    })
  }
  const [server] = found
  doc.remove(server.line - 1)
  return {changed: true, summary: `removed server ${named(server.name, `${server.address}:${server.port ?? ''}`)} from backend ${backend}`, server}
}

export function setServerState(doc: HaproxyDocument, backend: string, ref: ServerRef, state: ServerState): EditOutcome {
  const section = requireBackend(doc, backend)
  const [server] = findServer(doc, section, ref)
  if (!server) {
    const list = servers(doc, section)
    throw new UsageError(`backend ${backend} has no server ${ref}`, {
      actions: [list.length > 0 ? `Servers there: ${list.map((s) => s.name).join(', ')}.` : 'The backend has no servers.'],
    })
  }
  const index = server.line - 1
  if (doc.lines[index].words[0].value === 'server-template') {
    throw new UsageError(`${backend}/${server.name} is a server-template line (line ${server.line}): its servers share one line`, {
      actions: ['Set the state of one of its servers through the HAProxy runtime API, or edit the template line by hand.'],
    })
  }
  const text = withState(doc.lines[index], state)
  if (text === doc.lines[index].text) return {changed: false, summary: `server ${backend}/${server.name} is already ${state}`, server}
  doc.replace(index, text)
  return {changed: true, summary: `server ${backend}/${server.name}: ${server.state} → ${state}`, server: readServer(doc.lines[index], index, backend)}
}

/**
 * Many adds in one pass per backend: the sibling lines are read once, the
 * shared options worked out once, and the new lines inserted in one splice,
 * so 10k new servers cost about what reading 10k lines costs. The result is
 * the file the adds one by one would give (names made unique in order, a
 * server already there, or twice in the batch, is left as it is).
 */
export function addServers(doc: HaproxyDocument, specs: readonly AddServerSpec[]): EditOutcome[] {
  const outcomes: EditOutcome[] = new Array(specs.length)
  const byBackend = new Map<string, number[]>()
  specs.forEach((spec, k) => {
    const list = byBackend.get(spec.backend)
    if (list) list.push(k)
    else byBackend.set(spec.backend, [k])
  })
  for (const [backend, indexes] of byBackend) {
    const batch = indexes.map((k) => specs[k])
    if (batch.length === 1) {
      outcomes[indexes[0]] = addServer(doc, batch[0])
      continue
    }
    for (const spec of batch) if (spec.name !== undefined) checkName(spec.name, 'server name')
    let section = doc.find(BACKEND_KINDS, backend)
    let created = false
    if (!section) {
      if (!batch.some((s) => s.create)) requireBackend(doc, backend)
      checkName(backend, 'backend name')
      section = appendSection(doc, `backend ${backend}`, [])
      created = true
    }
    const siblings = serverLines(doc, section)
    const names = new Set<string>()
    /** address (lower case):port → the names of the servers there. */
    const endpoints = new Map<string, string[]>()
    const at = (address: string, port: number): string => `${address.toLowerCase()}:${port}`
    for (const i of siblings) {
      const name = doc.lines[i].words[1]?.value
      if (name === undefined) continue
      names.add(name)
      const server = readServer(doc.lines[i], i, backend)
      if (server?.port !== undefined) endpoints.set(at(server.address, server.port), [...(endpoints.get(at(server.address, server.port)) ?? []), name])
    }
    const shared = new Map<boolean, string[]>()
    const optionsFor = (check: boolean): string[] => {
      if (!shared.has(check)) shared.set(check, sharedOptions(doc, siblings, check))
      return shared.get(check)!
    }
    const anchor = siblings.at(-1) ?? lastDirective(doc, section)
    const model = siblings.length > 0 ? doc.lines[siblings.at(-1)!] : undefined
    const gap = (k: number): string => {
      const [a, b] = [model?.words[k], model?.words[k + 1]]
      return a && b && model?.words[0].value === 'server' ? model.text.slice(a.start + a.raw.length, b.start) : ' '
    }
    const indent = indentNear(doc, section, anchor)
    const cookies = hasCookieDirective(doc, section) ? serverCookies(doc, section) : undefined
    const texts: string[] = []
    const added: {k: number; name: string; endpoint: string}[] = []
    batch.forEach((spec, j) => {
      const endpoint = formatEndpoint(spec)
      const here = endpoints.get(at(spec.address, spec.port)) ?? []
      const same = spec.name === undefined ? here[0] : here.find((n) => n === spec.name)
      if (same !== undefined) {
        outcomes[indexes[j]] = {changed: false, summary: `server ${same} ${endpoint} is already in backend ${backend}`}
        return
      }
      const wanted = spec.name ?? `${spec.address}:${spec.port}`.replaceAll(/[^A-Za-z0-9_.:-]/g, '_')
      if (spec.name !== undefined && names.has(spec.name)) {
        throw new UsageError(`backend ${backend} already has a server named ${spec.name}`, {actions: ['Pick another --name, or remove that server first.']})
      }
      const name = uniqueName(names, wanted)
      names.add(name)
      endpoints.set(at(spec.address, spec.port), [...here, name])
      const words = [...optionsFor(spec.check !== false).filter((o) => spec.weight === undefined || !o.startsWith('weight '))]
      if (spec.weight !== undefined) words.push(`weight ${spec.weight}`)
      if (spec.backup) words.push('backup')
      if (cookies) {
        const value = cookieValue(name, cookies)
        cookies.add(value)
        words.push(`cookie ${value}`)
      }
      texts.push(`${indent}server${gap(0)}${quoteWord(name)}${gap(1)}${endpoint}${words.map((w) => ` ${w}`).join('')}`)
      added.push({k: indexes[j], name, endpoint})
    })
    const lines = doc.insertManyAfter(anchor, texts)
    added.forEach(({endpoint, k, name}, n) => {
      const verb = created && n === 0 ? `created backend ${backend} with` : 'added'
      outcomes[k] = {changed: true, summary: `${verb} server ${name} ${endpoint}${created && n === 0 ? '' : ` to backend ${backend}`}`, server: readServer(doc.lines[lines[n]], lines[n], backend)}
    })
  }
  return outcomes
}

/** Many removals from one backend in one pass; each ref as `removeServer` reads it (a name, else ADDRESS:PORT). */
export function removeServers(doc: HaproxyDocument, backend: string, refs: readonly ServerRef[]): EditOutcome[] {
  if (refs.length === 1) return [removeServer(doc, backend, refs[0])]
  const section = requireBackend(doc, backend)
  const byName = new Map<string, number[]>()
  const byEndpoint = new Map<string, number[]>()
  const all = servers(doc, section)
  for (const server of all) {
    const i = server.line - 1
    const listed = listedName(doc.lines[i].words)
    if (listed !== undefined) byName.set(listed, [...(byName.get(listed) ?? []), i])
    if (server.port !== undefined) {
      const key = `${server.address.toLowerCase()}:${server.port}`
      byEndpoint.set(key, [...(byEndpoint.get(key) ?? []), i])
    }
  }
  const gone = new Set<number>()
  const outcomes = refs.map((ref): EditOutcome => {
    let found = byName.get(ref)?.find((i) => !gone.has(i))
    if (found === undefined && !byName.has(ref)) {
      const {address, port} = splitAddress(ref)
      const matches = port === undefined ? [] : (byEndpoint.get(`${address.toLowerCase()}:${port}`) ?? []).filter((i) => !gone.has(i))
      if (matches.length > 1) {
        throw new UsageError(`${ref} matches ${matches.length} servers in backend ${backend}: ${matches.map((i) => doc.lines[i].words[1]?.value).join(', ')}`, {
          actions: ['Name the server to remove.'],
        })
      }
      found = matches[0]
    }
    if (found === undefined || gone.has(found)) return {changed: false, summary: `backend ${backend} has no server ${ref}: nothing to remove`}
    gone.add(found)
    const server = readServer(doc.lines[found], found, backend)!
    return {changed: true, summary: `removed server ${server.name} ${server.address}:${server.port ?? ''} from backend ${backend}`, server}
  })
  doc.removeMany(gone)
  return outcomes
}
