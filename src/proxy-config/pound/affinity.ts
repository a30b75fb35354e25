/**
 * Session affinity in a pound Service: a `Session` block. `cookie` is
 * `Type COOKIE` with the cookie's `ID` (pound reads a cookie the application
 * sets; it sets none), `source` is `Type IP`; sessions last `TTL` seconds
 * idle. pound forgets the sessions of a back-end it finds dead, so their
 * clients move. `off` removes the block. A Session of another Type (URL,
 * PARM, BASIC, HEADER) is the user's: hactl says so rather than replace it.
 */
import {UsageError} from '../../errors.js'
import {DEFAULT_AFFINITY_COOKIE, type Affinity, type AffinitySpec, type EditOutcome} from '../engine.js'
import {indentation, insertLines, removeLines} from '../lines.js'
import type {PoundBlock, PoundDocument} from './document.js'

/** Idle seconds a session is kept. */
export const SESSION_TTL = 300

const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/

const typeOf = (session: PoundBlock): string | undefined => session.statements.find((s) => s.keyword === 'TYPE')?.words[1]?.value.toUpperCase()

export function readAffinity(service: PoundBlock): Affinity {
  const session = service.blocks.find((b) => b.keyword === 'SESSION')
  if (!session) return {mode: 'off'}
  const type = typeOf(session)
  if (type === 'COOKIE') return {mode: 'cookie', cookie: session.statements.find((s) => s.keyword === 'ID')?.words[1]?.value}
  if (type === 'IP') return {mode: 'source'}
  return {mode: 'other'}
}

/** Write the Session block; `unit` is one level of the file's indentation. */
export function setServiceAffinity(doc: PoundDocument, name: string, service: PoundBlock, spec: AffinitySpec, unit: string): EditOutcome {
  const cookie = spec.cookie ?? DEFAULT_AFFINITY_COOKIE
  if (spec.mode === 'cookie' && !COOKIE_NAME.test(cookie)) throw new UsageError(`"${cookie}" is not a cookie name`, {actions: ['Use letters, digits and - _ . only (at most 64).']})
  const before = readAffinity(service)
  const session = service.blocks.find((b) => b.keyword === 'SESSION')
  const show = (a: Affinity): string => (a.mode === 'cookie' ? `cookie (${a.cookie ?? ''})` : a.mode)
  if (before.mode === 'other' && spec.mode !== 'off') {
    throw new UsageError(`Service ${name} already keeps sessions by ${typeOf(session!) ?? 'a Session block'} (line ${session!.index + 1})`, {
      actions: [`Remove that Session block from ${doc.file}, then run this again.`],
    })
  }
  const unchanged = spec.mode === before.mode && (spec.mode !== 'cookie' || before.cookie === cookie)
  if (unchanged || (spec.mode === 'off' && before.mode === 'other')) return {changed: false, summary: `Service ${name} already has affinity ${show(before)}`}

  const eol = doc.lines[service.index].eol || doc.eol()
  // Where the block goes and how it is indented: in place of the old one, else before the first back-end.
  let at: number
  let outer: string
  if (session) {
    at = session.index - 1
    outer = indentation(doc.lines[session.index].text)
    removeLines(doc.lines, session.index, session.endIndex - session.index + 1)
  } else {
    const firstBackend = service.blocks.find((b) => b.keyword === 'BACKEND' || b.keyword === 'EMERGENCY')
    const sample = firstBackend ?? service.statements[0]
    outer = sample ? indentation(doc.lines[sample.index].text) : indentation(doc.lines[service.index].text) + unit
    at = firstBackend ? firstBackend.index - 1 : service.endIndex - 1
  }
  if (spec.mode !== 'off') {
    const inner = outer + unit
    const body = spec.mode === 'cookie' ? [`${inner}Type COOKIE`, `${inner}ID "${cookie}"`] : [`${inner}Type IP`]
    insertLines(doc.lines, at, [`${outer}Session`, ...body, `${inner}TTL ${SESSION_TTL}`, `${outer}End`], eol)
  }
  const after: Affinity = spec.mode === 'cookie' ? {mode: 'cookie', cookie} : {mode: spec.mode}
  return {changed: true, summary: `Service ${name}: affinity ${show(before)} → ${show(after)}`}
}
