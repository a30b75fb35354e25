/**
 * Session affinity in an HAProxy backend. `cookie`: HAProxy inserts a cookie
 * naming the server (`cookie NAME insert indirect nocache`, a `cookie VALUE`
 * on every server line); a client whose server is gone or down is sent to
 * another and given that one's cookie. `option redispatch` (written with the
 * cookie) also lets a request whose server fails to connect go elsewhere.
 * `source`: `balance source` (under any balance line of the backend, which it overrides). `off` removes what the two write.
 */
import type {Affinity} from '../engine.js'
import type {HaproxyDocument, Section} from './document.js'
import type {Line} from './lexer.js'
import {optionGroups} from './servers.js'

/** RFC 6265 cookie-name characters (a token). */
export const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/

export const COOKIE_OPTIONS = ['insert', 'indirect', 'nocache']

const keyword = (line: Line): string | undefined => line.words[0]?.value

export function find(doc: HaproxyDocument, section: Section, test: (line: Line) => boolean): number[] {
  const out: number[] = []
  for (let i = section.header + 1; i < section.end; i++) if (test(doc.lines[i])) out.push(i)
  return out
}

export const isCookie = (l: Line): boolean => keyword(l) === 'cookie'
export const isBalance = (l: Line): boolean => keyword(l) === 'balance'
export const isSourceBalance = (l: Line): boolean => isBalance(l) && l.words[1]?.value === 'source'
export const isRedispatch = (l: Line): boolean => keyword(l) === 'option' && l.words[1]?.value === 'redispatch' && l.words.length === 2
export const isServer = (l: Line): boolean => keyword(l) === 'server'

export function readAffinity(doc: HaproxyDocument, section: Section): Affinity {
  const cookie = find(doc, section, isCookie).at(-1)
  if (cookie !== undefined) return {mode: 'cookie', cookie: doc.lines[cookie].words[1]?.value}
  const balance = find(doc, section, isBalance).at(-1)
  if (balance !== undefined && doc.lines[balance].words[1]?.value === 'source') return {mode: 'source'}
  // Stick tables keep clients on servers too, but they are the user's, not something hactl writes.
  if (find(doc, section, (l) => keyword(l) === 'stick' || keyword(l) === 'stick-table').length > 0) return {mode: 'other'}
  return {mode: 'off'}
}

/** The backend's `cookie` directive is there: a new server needs a cookie value of its own. */
export function hasCookieDirective(doc: HaproxyDocument, section: Section): boolean {
  return find(doc, section, isCookie).length > 0
}

/** A cookie value for a server: its name with the characters a cookie value cannot hold replaced, unique among `taken`. */
export function cookieValue(name: string, taken: ReadonlySet<string>): string {
  const base = name.replaceAll(/[^A-Za-z0-9_.:-]/g, '_') || 's'
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
}

/** The cookie values the servers of a section carry. */
export function serverCookies(doc: HaproxyDocument, section: Section): Set<string> {
  const taken = new Set<string>()
  for (const i of find(doc, section, isServer)) {
    for (const g of optionGroups(doc.lines[i].words, 3)) if (g.keyword === 'cookie' && g.words[1]) taken.add(g.words[1].value)
  }
  return taken
}

/** Where a backend-wide directive goes: after `balance`, else before the first server, else after the last directive. */
export function directiveAnchor(doc: HaproxyDocument, section: Section): number {
  const balance = find(doc, section, isBalance).at(-1)
  if (balance !== undefined) return balance
  const firstServer = find(doc, section, (l) => isServer(l) || keyword(l) === 'server-template')[0]
  const limit = firstServer ?? section.end
  for (let i = limit - 1; i > section.header; i--) if (doc.lines[i].words.length > 0) return i
  return section.header
}

export function redispatchInDefaults(doc: HaproxyDocument, section: Section): boolean {
  const defaults = doc.sections().filter((s) => s.kind === 'defaults' && s.header < section.header).at(-1)
  return defaults !== undefined && find(doc, defaults, isRedispatch).length > 0
}
