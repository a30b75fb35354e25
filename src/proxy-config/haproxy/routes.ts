/**
 * Routing rules: `use_backend B if COND` in a frontend or listen section,
 * where COND is an inline ACL (`{ hdr(host) -i a.example }`) or the name of
 * `acl` lines in the same section. hactl writes the inline form: one line per
 * rule, so adding then removing a rule gives back the original bytes.
 */
import {UsageError} from '../../errors.js'
import {sameMatch, type EditOutcome, type RouteInfo, type RouteKind, type RouteSpec} from '../engine.js'
import {BACKEND_KINDS, checkName, requireBackend} from './backends.js'
import type {HaproxyDocument, Section} from './document.js'
import {quoteWord, type Word} from './lexer.js'
import {appendSection, indentNear, lastDirective} from './layout.js'
import {rewriteWords} from './servers.js'

const FRONTEND_KINDS = ['frontend', 'listen'] as const

/** ACL flags that take an argument. */
const FLAGS_WITH_ARG = new Set(['-m', '-f', '-M', '-u'])

function kindOfFetch(fetch: string): RouteKind | undefined {
  if (/^(req\.)?hdr(_beg|_dom|_end|_sub)?\(host\)$/i.test(fetch) || /^req\.hdr\(host\),/i.test(fetch)) return 'host'
  if (fetch === 'path_beg' || fetch === 'url_beg') return 'path'
  return undefined
}

/** The value words of an ACL expression `FETCH [flags] VALUES…` (words from `from`). */
function aclValues(words: Word[], from: number, to: number): {kind?: RouteKind; values: number[]} {
  const kind = kindOfFetch(words[from]?.value ?? '')
  let i = from + 1
  while (i < to && words[i].value.startsWith('-')) {
    const flag = words[i].value
    i += FLAGS_WITH_ARG.has(flag) ? 2 : 1
    if (flag === '--') break
  }
  const values: number[] = []
  for (; i < to; i++) values.push(i)
  return {kind, values}
}

/** One value of one rule, with where it is written. */
interface RuleValue {
  route: RouteInfo
  /** The use_backend line. */
  rule: number
  /** The line and word of the value (an acl line or the rule itself). */
  valueLine: number
  valueWord: number
  /** Values sharing the condition (1: removing this one removes the rule). */
  siblings: number
  /** Named ACL the rule uses, when not inline. */
  acl?: string
}

function ruleValues(doc: HaproxyDocument, section: Section): RuleValue[] {
  const acls = new Map<string, number[]>()
  for (const i of doc.directives(section, 'acl')) {
    const name = doc.lines[i].words[1]?.value
    if (name) acls.set(name, [...(acls.get(name) ?? []), i])
  }
  const out: RuleValue[] = []
  for (const rule of doc.directives(section, 'use_backend')) {
    const words = doc.lines[rule].words
    const backend = words[1]?.value
    if (!backend || words[2]?.value !== 'if') continue
    const cond = words.slice(3)
    const make = (kind: RouteKind, valueLine: number, valueWord: number, siblings: number, acl?: string): RuleValue => ({
      route: {frontend: section.name, kind, match: doc.lines[valueLine].words[valueWord].value, backend, line: rule + 1},
      rule,
      valueLine,
      valueWord,
      siblings,
      acl,
    })
    if (cond.length >= 3 && cond[0].value === '{' && cond.at(-1)!.value === '}' && cond.filter((w) => w.value === '{').length === 1) {
      const {kind, values} = aclValues(words, 4, words.length - 1)
      if (kind) for (const v of values) out.push(make(kind, rule, v, values.length))
    } else if (cond.length === 1 && acls.has(cond[0].value)) {
      const lines = acls.get(cond[0].value)!
      const parsed = lines.map((i) => ({i, ...aclValues(doc.lines[i].words, 2, doc.lines[i].words.length)}))
      const total = parsed.reduce((n, p) => n + p.values.length, 0)
      for (const p of parsed) if (p.kind) for (const v of p.values) out.push(make(p.kind, p.i, v, total, cond[0].value))
    }
  }
  return out
}

function frontends(doc: HaproxyDocument): Section[] {
  return doc.sections().filter((s) => (FRONTEND_KINDS as readonly string[]).includes(s.kind))
}

export function listRoutes(doc: HaproxyDocument): RouteInfo[] {
  return frontends(doc).flatMap((s) => ruleValues(doc, s).map((v) => v.route))
}

function pickFrontend(doc: HaproxyDocument, name: string | undefined): Section {
  const all = frontends(doc)
  if (name !== undefined) {
    const found = all.find((s) => s.name === name)
    if (found) return found
    throw new UsageError(`no frontend "${name}" in ${doc.file}`, {
      actions: [all.length > 0 ? `Frontends there: ${all.map((s) => s.name).join(', ')}.` : 'The file has no frontend or listen sections.'],
    })
  }
  const only = all.filter((s) => s.kind === 'frontend')
  if (only.length === 1) return only[0]
  if (only.length === 0 && all.length === 1) return all[0]
  throw new UsageError(all.length === 0 ? `${doc.file} has no frontend to route in` : `${doc.file} has several frontends`, {
    actions: [all.length === 0 ? 'Add a frontend section first.' : `Pass --frontend (one of ${all.map((s) => s.name).join(', ')}).`],
  })
}

function describe(spec: RouteSpec): string {
  return `${spec.kind} ${spec.match}`
}

export function addRoute(doc: HaproxyDocument, spec: RouteSpec): EditOutcome {
  if (spec.match === '' || /[\s{}]/.test(spec.match)) {
    throw new UsageError(`${spec.kind} "${spec.match}" cannot be routed: it is empty or holds blanks or braces`, {actions: [`Pass one ${spec.kind}.`]})
  }
  const frontend = pickFrontend(doc, spec.frontend)
  const existing = ruleValues(doc, frontend).find((v) => v.route.kind === spec.kind && sameMatch(spec.kind, v.route.match, spec.match))
  const spelled = existing && existing.route.match !== spec.match ? ` (written ${existing.route.match})` : ''
  if (existing?.route.backend === spec.backend) {
    return {changed: false, summary: `${describe(spec)} already routes to ${spec.backend} in ${frontend.name}${spelled}`, route: existing.route}
  }
  if (existing) {
    throw new UsageError(`${describe(spec)} already routes to ${existing.route.backend} in ${frontend.name} (line ${existing.route.line}${spelled ? `, written ${existing.route.match}` : ''})`, {
      actions: [`Remove that rule first: route remove --${spec.kind} ${existing.route.match} ${existing.route.backend}.`],
    })
  }
  let created = ''
  if (!doc.find(BACKEND_KINDS, spec.backend)) {
    if (!spec.create) requireBackend(doc, spec.backend)
    checkName(spec.backend, 'backend name')
    appendSection(doc, `backend ${spec.backend}`, [])
    created = ` (created backend ${spec.backend})`
  }
  const section = doc.find(FRONTEND_KINDS, frontend.name)!
  const rules = doc.directives(section, 'use_backend')
  const fallback = doc.directives(section, 'default_backend')[0]
  const anchor = rules.at(-1) ?? (fallback === undefined ? lastDirective(doc, section) : fallback - 1)
  const indentFrom = rules.at(-1) ?? fallback ?? anchor
  const fetch = spec.kind === 'host' ? 'hdr(host) -i' : 'path_beg'
  const index = doc.insertAfter(anchor, `${indentNear(doc, section, indentFrom)}use_backend ${spec.backend} if { ${fetch} ${quoteWord(spec.match)} }`)
  const route: RouteInfo = {frontend: frontend.name, kind: spec.kind, match: spec.match, backend: spec.backend, line: index + 1}
  return {changed: true, summary: `routed ${describe(spec)} to ${spec.backend} in ${frontend.name}${created}`, route}
}

export function removeRoute(doc: HaproxyDocument, spec: RouteSpec): EditOutcome {
  const sections = spec.frontend === undefined ? frontends(doc) : [pickFrontend(doc, spec.frontend)]
  for (const section of sections) {
    const hit = ruleValues(doc, section).find((v) => v.route.kind === spec.kind && sameMatch(spec.kind, v.route.match, spec.match) && v.route.backend === spec.backend)
    if (!hit) continue
    if (hit.siblings > 1) {
      doc.replace(hit.valueLine, rewriteWords(doc.lines[hit.valueLine], new Set([hit.valueWord]), []))
    } else {
      const gone = [hit.rule]
      if (hit.acl && !stillUsed(doc, section, hit.acl, hit.rule)) gone.push(hit.valueLine)
      for (const i of gone.sort((a, b) => b - a)) doc.remove(i)
    }
    return {changed: true, summary: `removed the route of ${describe(spec)} to ${spec.backend} from ${section.name}`, route: hit.route}
  }
  return {changed: false, summary: `no route of ${describe(spec)} to ${spec.backend}: nothing to remove`}
}

/** Whether a line other than the rule (and the acl's own lines) names the ACL. */
function stillUsed(doc: HaproxyDocument, section: Section, acl: string, rule: number): boolean {
  for (let i = section.header + 1; i < section.end; i++) {
    const words = doc.lines[i].words
    if (i === rule || words[0]?.value === 'acl') continue
    if (words.some((w) => w.value === acl || w.value === `!${acl}`)) return true
  }
  return false
}
