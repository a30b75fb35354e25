/**
 * TLS for HAProxy: one `bind ADDR:443 ssl crt hactl-tls/` per HTTP frontend
 * (every PEM in the folder loaded, the certificate chosen by SNI from its
 * names), and `default-path config` in `global` so that relative path means
 * the config's own folder wherever the file lives. Every line written is one
 * hactl recognises again, so removing the last certificate gives back the
 * original bytes.
 */
import {UsageError} from '../../errors.js'
import type {EditOutcome} from '../engine.js'
import {certificatePath, TLS_DIR, withPort, type TlsBinding, type TlsRemoveSpec, type TlsSpec} from '../tls.js'
import type {HaproxyDocument, Section} from './document.js'
import {quoteWord} from './lexer.js'
import {indentNear, fileIndent, lastDirective} from './layout.js'

const FRONTEND_KINDS = ['frontend', 'listen']
const MARK = '# hactl tls: certificate paths are relative to this file'
const REDIRECT = 'http-request redirect scheme https code 301 unless { ssl_fc }'

function isTlsBind(doc: HaproxyDocument, i: number): boolean {
  const words = doc.lines[i].words
  if (words[0]?.value !== 'bind') return false
  const crt = words.findIndex((w) => w.value === 'crt')
  return crt > 0 && [TLS_DIR, `${TLS_DIR}/`, `./${TLS_DIR}/`].includes(words[crt + 1]?.value ?? '')
}

function isPlainBind(doc: HaproxyDocument, i: number): boolean {
  const words = doc.lines[i].words
  return words[0]?.value === 'bind' && !words.some((w) => w.value === 'ssl')
}

function portOf(address: string): number | undefined {
  const m = /:(\d+)$/.exec(address.split(',')[0])
  return m ? Number(m[1]) : undefined
}

function frontends(doc: HaproxyDocument): Section[] {
  return doc.sections().filter((s) => FRONTEND_KINDS.includes(s.kind))
}

/** The frontends that serve plain HTTP: those bound to port 80, else the only one with a plain bind. */
function httpFrontends(doc: HaproxyDocument, spec: TlsSpec): Section[] {
  const all = frontends(doc)
  if (spec.frontend !== undefined) {
    const named = all.find((s) => s.name === spec.frontend)
    if (!named) throw new UsageError(`${doc.file} has no frontend "${spec.frontend}"`, {actions: [`Frontends there: ${all.map((s) => s.name).join(', ') || 'none'}.`]})
    return [named]
  }
  const plain = all.filter((s) => doc.directives(s, 'bind').some((i) => isPlainBind(doc, i)))
  const web = plain.filter((s) => doc.directives(s, 'bind').some((i) => isPlainBind(doc, i) && portOf(doc.lines[i].words[1]?.value ?? '') === 80))
  if (web.length > 0) return web
  if (plain.length === 1) return plain
  throw new UsageError(
    plain.length === 0 ? `${doc.file} has no frontend with a plain bind to add TLS to` : `${doc.file} has ${plain.length} frontends and none binds port 80; say which with --frontend`,
    {actions: [plain.length === 0 ? 'Add a frontend first (hactl init writes a starter config).' : `Pass --frontend with one of: ${plain.map((s) => s.name).join(', ')}.`]},
  )
}

/** One TLS bind per plain bind on port 80 (IPv4 and IPv6 alike), else for the first plain bind. */
function bindLines(doc: HaproxyDocument, section: Section, spec: TlsSpec): string[] {
  // A unix socket or an inherited fd has no port to mirror: only TCP binds count.
  const plain = doc.directives(section, 'bind').filter((i) => isPlainBind(doc, i) && !/^(unix@|abns@|fd@|sockpair@|\/)/.test(doc.lines[i].words[1]?.value ?? ''))
  if (plain.length === 0) return [`bind :${spec.port} ssl crt ${TLS_DIR}/ ssl-min-ver ${spec.minVersion}${spec.ciphers ? ` ciphers ${quoteWord(spec.ciphers)}` : ''} alpn h2,http/1.1`]
  const web = plain.filter((i) => portOf(doc.lines[i].words[1]?.value ?? '') === 80)
  const ciphers = spec.ciphers ? ` ciphers ${quoteWord(spec.ciphers)}` : ''
  return (web.length > 0 ? web : plain.slice(0, 1)).map((i) => {
    const raw = withPort(doc.lines[i].words[1]?.raw.split(',')[0] ?? ':80', spec.port)
    // The address family options of the plain bind hold for its TLS twin.
    const family = doc.lines[i].words.filter((w) => w.value === 'v4v6' || w.value === 'v6only').map((w) => ` ${w.raw}`).join('')
    return `bind ${raw}${family} ssl crt ${TLS_DIR}/ ssl-min-ver ${spec.minVersion}${ciphers} alpn h2,http/1.1`
  })
}

/** `default-path config` in global, written once and marked as hactl's; refuse a global that sets another base. */
function ensureDefaultPath(doc: HaproxyDocument): boolean {
  const global = doc.sections().find((s) => s.kind === 'global')
  if (global) {
    const existing = doc.directives(global, 'default-path')
    if (existing.length > 0) {
      const value = doc.lines[existing.at(-1)!].words.slice(1).map((w) => w.value)
      if (value[0] === 'config') return false
      throw new UsageError(`global in ${doc.file} sets default-path ${value.join(' ')}, so ${TLS_DIR}/ would not be found beside the config`, {
        actions: ['Set `default-path config` in global (relative paths then start at the config\'s folder), or remove default-path, and run tls add again.'],
        location: {file: doc.file, line: existing.at(-1)! + 1},
      })
    }
    const after = lastDirective(doc, global)
    doc.insertAfter(after, `${indentNear(doc, global, after)}default-path config  ${MARK}`)
    return true
  }
  const at = doc.insertAfter(-1, 'global')
  doc.insertAfter(at, `${fileIndent(doc)}default-path config  ${MARK}`)
  return true
}

export function addTls(doc: HaproxyDocument, spec: TlsSpec): EditOutcome {
  const targets = httpFrontends(doc, spec)
  const done: string[] = []
  // Frontends first (their lines sit below global): inserting into global later does not move them.
  for (const name of targets.map((s) => s.name)) {
    const section = doc.sections().find((s) => FRONTEND_KINDS.includes(s.kind) && s.name === name)!
    const binds = doc.directives(section, 'bind')
    let tls = binds.find((i) => isTlsBind(doc, i))
    if (tls === undefined) {
      const after = binds.at(-1) ?? section.header
      const indent = indentNear(doc, section, after)
      tls = doc.insertManyAfter(after, bindLines(doc, section, spec).map((line) => indent + line)).at(-1)!
      done.push(`bind :${spec.port} ssl in ${name}`)
    }
    const fresh = doc.sections().find((s) => FRONTEND_KINDS.includes(s.kind) && s.name === name)!
    if (spec.redirectHttp && !doc.directives(fresh, 'http-request').some((i) => doc.lines[i].text.trim() === REDIRECT)) {
      doc.insertAfter(tls, `${indentNear(doc, fresh, tls)}${REDIRECT}`)
      done.push(`http → https redirect in ${name}`)
    }
  }
  if (done.length > 0 && ensureDefaultPath(doc)) done.push('default-path config in global')
  const file = certificatePath(spec.name)
  if (done.length === 0) return {changed: false, summary: `${targets.map((s) => s.name).join(', ')} already serve${targets.length === 1 ? 's' : ''} ${TLS_DIR}/ (${file} is picked by SNI)`}
  return {changed: true, summary: `${done.join('; ')} (${file} picked by SNI)`}
}

export function removeTls(doc: HaproxyDocument, spec: TlsRemoveSpec): EditOutcome {
  if (spec.remaining.length > 0) return {changed: false, summary: `the TLS listeners stay for ${spec.remaining.join(', ')}`}
  const gone = new Set<number>()
  for (const section of frontends(doc)) {
    for (const i of doc.directives(section, 'bind')) if (isTlsBind(doc, i)) gone.add(i)
    for (const i of doc.directives(section, 'http-request')) if (doc.lines[i].text.trim() === REDIRECT) gone.add(i)
  }
  const global = doc.sections().find((s) => s.kind === 'global')
  if (global) {
    const ours = doc.directives(global, 'default-path').filter((i) => doc.lines[i].text.includes(MARK))
    for (const i of ours) gone.add(i)
    const rest = []
    for (let i = global.header + 1; i < global.end; i++) if (doc.lines[i].words.length > 0 && !gone.has(i)) rest.push(i)
    // A global hactl wrote itself (first line of the file, nothing else in it) goes with its line.
    if (ours.length > 0 && rest.length === 0 && global.header === 0 && ours[0] === 1) gone.add(global.header)
  }
  if (gone.size === 0) return {changed: false, summary: 'no TLS listener of hactl in the config'}
  doc.removeMany(gone)
  return {changed: true, summary: `removed the TLS listeners (no certificate left in ${TLS_DIR}/)`}
}

export function listTls(doc: HaproxyDocument): TlsBinding[] {
  const out: TlsBinding[] = []
  for (const section of frontends(doc)) {
    for (const i of doc.directives(section, 'bind')) {
      if (isTlsBind(doc, i)) out.push({name: '', frontend: section.name, hosts: [], port: portOf(doc.lines[i].words[1]?.value ?? ''), line: i + 1})
    }
  }
  return out
}
