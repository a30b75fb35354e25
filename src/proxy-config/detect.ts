/**
 * How sure each engine is that a file is its config, from the name and the
 * text alone. Kept apart from the engines so telling a file's engine loads
 * no parser: only the chosen engine is loaded after.
 */
import path from 'node:path'

import type {EngineName} from '../cluster/schema.js'

const HAPROXY_SECTIONS = /^[ \t]*(global|defaults|frontend|backend|listen)\b/m
const HAPROXY_WORDS = /^[ \t]*(server|bind|default_backend|use_backend|balance|timeout)[ \t]/m

export function detectHaproxy(file: string, text: string): number {
  const base = path.basename(file).toLowerCase()
  let score = 0
  if (HAPROXY_SECTIONS.test(text)) score += 0.5
  if (HAPROXY_WORDS.test(text)) score += 0.2
  if (base.includes('haproxy')) score += 0.3
  else if (base.endsWith('.cfg')) score += 0.1
  return Math.min(score, 1)
}

/** Content that says "nginx", with how much each says it. */
const NGINX_HINTS: [RegExp, number][] = [
  [/^\s*upstream\s+\S+\s*\{/m, 0.4],
  [/^\s*server\s*\{/m, 0.3],
  [/^\s*location\s+[^\n]*\{/m, 0.3],
  [/^\s*(http|events|stream)\s*\{/m, 0.3],
  [/^\s*(proxy_pass|fastcgi_pass)\s+[^\n]*;/m, 0.2],
  [/^\s*server_name\s+[^\n]*;/m, 0.2],
  [/^\s*listen\s+[^\n]*;/m, 0.1],
  [/^[^#\n]*;[ \t]*(#[^\n]*)?\r?$/m, 0.1],
  [/^\s*(map|geo|split_clients)\s+\S+\s+\S+\s*\{/m, 0.3],
  // A word opening a block with a brace at the end of its line: no other format here writes that.
  [/^[ \t]*[a-z_]+([ \t]+[^\s{;#]+)*[ \t]*\{[ \t]*\r?$/m, 0.3],
]

export function detectNginx(file: string, text: string): number {
  let score = /nginx|sites-(available|enabled)|conf\.d/i.test(file) ? 0.3 : 0
  for (const [hint, weight] of NGINX_HINTS) if (hint.test(text)) score += weight
  return Math.min(1, score)
}

export function detectPound(file: string, text: string): number {
  let score = /pound/i.test(file) ? 0.4 : 0
  if (/^\s*ListenHTTPS?\b/im.test(text)) score += 0.4
  if (/^\s*BackEnd\s*$/im.test(text) || /^\s*Service\b/m.test(text)) score += 0.2
  if (/^\s*End\s*$/im.test(text)) score += 0.2
  return Math.min(1, score)
}

export function detectPerlbal(file: string, text: string): number {
  let score = /perlbal/i.test(file) ? 0.4 : 0
  if (/^\s*CREATE\s+(POOL|SERVICE)\s+\S+/im.test(text)) score += 0.4
  if (/^\s*POOL\s+\S+\s+ADD\s+/im.test(text)) score += 0.3
  if (/^\s*SET\s+role\s*=\s*(reverse_proxy|web_server|management|selector)/im.test(text)) score += 0.3
  return Math.min(1, score)
}

export const DETECTORS: Record<EngineName, (file: string, text: string) => number> = {
  haproxy: detectHaproxy,
  nginx: detectNginx,
  pound: detectPound,
  perlbal: detectPerlbal,
}
