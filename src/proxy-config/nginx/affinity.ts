/**
 * Session affinity in an nginx upstream. nginx OSS sets no cookie of its
 * own: `cookie` hashes on a cookie the application sets (`hash $cookie_NAME
 * consistent`: a client keeps its server while that server is in the
 * upstream; when it goes, only its clients move); `source` is `ip_hash`.
 * `off` removes either. Another balancing method in the upstream is the
 * user's: hactl says so rather than write a second one.
 */
import {UsageError} from '../../errors.js'
import {DEFAULT_AFFINITY_COOKIE, type Affinity, type AffinitySpec, type EditOutcome} from '../engine.js'
import {type Block, childDirectives, childIndent, type Directive, directiveArgs, directiveName, indentOf, insertBefore, append, type NginxDocument, parseSnippet, removeAt, setArgs} from './document.js'

/** What nginx reads as the rest of a `$cookie_…` variable name. */
const COOKIE_NAME = /^[A-Za-z0-9_]{1,64}$/
const COOKIE_VARIABLE = /^\$cookie_([A-Za-z0-9_]+)$/
/** Balancing methods that would fight hactl's (OSS and Plus). */
const FOREIGN = new Set(['least_conn', 'random', 'sticky', 'least_time', 'ntlm'])

const isCookieHash = (d: Directive): boolean => directiveName(d) === 'hash' && COOKIE_VARIABLE.test(directiveArgs(d)[0] ?? '')

export function readAffinity(block: Block): Affinity {
  const children = childDirectives(block)
  const hash = children.filter((d) => directiveName(d) === 'hash').at(-1)
  if (hash) {
    const cookie = COOKIE_VARIABLE.exec(directiveArgs(hash)[0] ?? '')?.[1]
    return cookie ? {mode: 'cookie', cookie} : {mode: 'other'}
  }
  if (children.some((d) => directiveName(d) === 'ip_hash')) return {mode: 'source'}
  if (children.some((d) => directiveName(d) === 'sticky')) return {mode: 'other'}
  return {mode: 'off'}
}

/** Put a balancing directive where nginx readers expect it: before the first server. */
function place(block: Block, text: string, eol: string, unit: string): void {
  const node = parseSnippet(text)
  const firstServer = block.items.findIndex((n) => (n as Directive).type === 'directive' && directiveName(n as Directive) === 'server')
  const indent = childIndent(block) ?? unit
  if (firstServer >= 0) insertBefore(block, firstServer, node, indentOf(block, firstServer) ?? indent, eol)
  else append(block, node, indent, eol)
}

export function setUpstreamAffinity(doc: NginxDocument, name: string, block: Block, spec: AffinitySpec, unit: string): EditOutcome {
  const cookie = spec.cookie ?? DEFAULT_AFFINITY_COOKIE
  if (spec.mode === 'cookie' && !COOKIE_NAME.test(cookie)) {
    throw new UsageError(`nginx cannot hash on a cookie named "${cookie}": $cookie_ variables take letters, digits and _ only`, {actions: ['Pass --cookie with letters, digits and _ only.']})
  }
  const before = readAffinity(block)
  const children = childDirectives(block)
  const foreign = children.find((d) => FOREIGN.has(directiveName(d)) || (directiveName(d) === 'hash' && !isCookieHash(d)))
  if (foreign && spec.mode !== 'off') {
    throw new UsageError(`upstream ${name} already balances with "${[directiveName(foreign), ...directiveArgs(foreign)].join(' ')}"; nginx takes one balancing method`, {
      actions: [`Remove that line from the upstream in ${doc.file}, then run this again.`],
    })
  }
  const eol = doc.eol()
  const remove = (test: (d: Directive) => boolean): void => {
    for (const d of childDirectives(block).filter(test).reverse()) removeAt(block, block.items.indexOf(d))
  }
  if (spec.mode === 'cookie') {
    remove((d) => directiveName(d) === 'ip_hash')
    const args = [`$cookie_${cookie}`, 'consistent']
    const hash = childDirectives(block).filter(isCookieHash)
    if (hash.length === 0) place(block, `hash ${args.join(' ')};`, eol, unit)
    else if (directiveArgs(hash.at(-1)!).join(' ') !== args.join(' ')) setArgs(hash.at(-1)!, args)
  } else if (spec.mode === 'source') {
    remove(isCookieHash)
    if (!childDirectives(block).some((d) => directiveName(d) === 'ip_hash')) place(block, 'ip_hash;', eol, unit)
  } else {
    remove((d) => isCookieHash(d) || directiveName(d) === 'ip_hash')
  }
  const after = readAffinity(block)
  const changed = JSON.stringify(before) !== JSON.stringify(after)
  const show = (a: Affinity): string => (a.mode === 'cookie' ? `cookie (${a.cookie ?? ''})` : a.mode)
  return {changed, summary: changed ? `upstream ${name}: affinity ${show(before)} → ${show(after)}` : `upstream ${name} already has affinity ${show(after)}`}
}
