/** `backend affinity` on an HAProxy document: see ./affinity.ts for what each mode writes. */
import {UsageError} from '../../errors.js'
import {DEFAULT_AFFINITY_COOKIE, type Affinity, type AffinitySpec, type EditOutcome} from '../engine.js'
import {COOKIE_NAME, COOKIE_OPTIONS, directiveAnchor, find, isBalance, isCookie, isRedispatch, isServer, isSourceBalance, readAffinity, redispatchInDefaults, serverCookies, cookieValue} from './affinity.js'
import {requireBackend} from './backends.js'
import type {HaproxyDocument} from './document.js'
import {indentNear} from './layout.js'
import {optionGroups, rewriteWords} from './servers.js'

export function setAffinity(doc: HaproxyDocument, spec: AffinitySpec): EditOutcome {
  const cookieName = spec.cookie ?? DEFAULT_AFFINITY_COOKIE
  if (spec.mode === 'cookie' && !COOKIE_NAME.test(cookieName)) {
    throw new UsageError(`"${cookieName}" is not a cookie name`, {actions: ['Use letters, digits and - _ . only (at most 64).']})
  }
  const before = doc.serialize()
  const initial = readAffinity(doc, requireBackend(doc, spec.backend))
  let section = requireBackend(doc, spec.backend)

  // Server lines first: rewriting a line keeps every index.
  if (spec.mode === 'cookie') {
    const taken = serverCookies(doc, section)
    for (const i of find(doc, section, isServer)) {
      const line = doc.lines[i]
      if (optionGroups(line.words, 3).some((g) => g.keyword === 'cookie')) continue
      const value = cookieValue(line.words[1]?.value ?? '', taken)
      taken.add(value)
      doc.replace(i, rewriteWords(line, new Set(), [`cookie ${value}`]))
    }
  } else {
    for (const i of find(doc, section, isServer)) {
      const line = doc.lines[i]
      const remove = new Set<number>()
      for (const g of optionGroups(line.words, 3)) if (g.keyword === 'cookie') g.words.forEach((_, k) => remove.add(g.at + k))
      if (remove.size > 0) doc.replace(i, rewriteWords(line, remove, []))
    }
  }

  // Then lines out, from the bottom up so the indexes above stay valid.
  const gone = new Set<number>()
  if (spec.mode !== 'cookie') {
    for (const i of find(doc, section, isCookie)) {
      gone.add(i)
      // The redispatch hactl writes sits right under the cookie line.
      if (doc.lines[i + 1] && isRedispatch(doc.lines[i + 1])) gone.add(i + 1)
    }
  }
  if (spec.mode !== 'source') for (const i of find(doc, section, isSourceBalance)) gone.add(i)
  for (const i of [...gone].sort((a, b) => b - a)) doc.remove(i)

  section = requireBackend(doc, spec.backend)
  if (spec.mode === 'cookie') {
    const wanted = `cookie ${cookieName} ${COOKIE_OPTIONS.join(' ')}`
    const existing = find(doc, section, isCookie)
    if (existing.length > 0) {
      const i = existing.at(-1)!
      const same = doc.lines[i].words.map((w) => w.value).join(' ') === wanted
      if (!same) doc.replace(i, `${doc.lines[i].indent}${wanted}`)
    } else {
      const anchor = directiveAnchor(doc, section)
      const at = doc.insertAfter(anchor, `${indentNear(doc, section, anchor)}${wanted}`)
      section = requireBackend(doc, spec.backend)
      if (find(doc, section, isRedispatch).length === 0 && !redispatchInDefaults(doc, section)) doc.insertAfter(at, `${doc.lines[at].indent}option redispatch`)
    }
  } else if (spec.mode === 'source') {
    const balances = find(doc, section, isBalance)
    if (balances.length > 0) {
      // Right under the backend's own balance line, which HAProxy then overrides: off takes it away and the original is back.
      const i = balances.at(-1)!
      if (!isSourceBalance(doc.lines[i])) doc.insertAfter(i, `${doc.lines[i].indent}balance source`)
    } else {
      const anchor = directiveAnchor(doc, section)
      doc.insertAfter(anchor, `${indentNear(doc, section, anchor)}balance source`)
    }
  }

  const after = readAffinity(doc, requireBackend(doc, spec.backend))
  const changed = doc.serialize() !== before
  return {changed, summary: affinitySummary(spec.backend, initial, after, changed)}
}

export function affinitySummary(backend: string, before: Affinity, after: Affinity, changed: boolean): string {
  const show = (a: Affinity): string => (a.mode === 'cookie' ? `cookie (${a.cookie ?? ''})` : a.mode)
  return changed ? `backend ${backend}: affinity ${show(before)} → ${show(after)}` : `backend ${backend} already has affinity ${show(after)}`
}
