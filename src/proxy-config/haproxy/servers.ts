/**
 * Server lines: reading `server NAME ADDRESS[:PORT] OPTIONS…` and
 * `server-template`, and the word-level rewrites that change a server's state
 * without touching the rest of its line.
 */
import type {ServerInfo, ServerState} from '../engine.js'
import type {Line, Word} from './lexer.js'

/** Server keywords that take no argument (HAProxy 2.6); every other keyword takes one. */
const FLAG_KEYWORDS = new Set([
  'agent-check', 'allow-0rtt', 'backup', 'check', 'check-send-proxy', 'check-ssl', 'check-via-socks4', 'disabled', 'enabled',
  'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'no-agent-check', 'no-backup', 'no-check',
  'no-check-ssl', 'no-send-proxy', 'no-send-proxy-v2', 'no-send-proxy-v2-ssl', 'no-send-proxy-v2-ssl-cn', 'no-ssl', 'no-ssl-reuse',
  'no-sslv3', 'no-tfo', 'no-tls-tickets', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-verifyhost', 'non-stick',
  'send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'ssl', 'ssl-reuse', 'stick', 'tfo', 'tls-tickets',
])

/** Options that identify one server and must never be copied to a new one; state is set by flags, not copied. */
export const PER_SERVER = new Set(['cookie', 'id', 'addr', 'guid', 'hash-key', 'redir', 'backup', 'no-backup', 'disabled', 'enabled', 'track'])

/** Health-check options, left out with `--no-check`. */
export const CHECK_OPTIONS = new Set([
  'check', 'check-ssl', 'check-send-proxy', 'check-via-socks4', 'check-sni', 'check-alpn', 'check-proto', 'no-check-ssl', 'inter',
  'fastinter', 'downinter', 'rise', 'fall', 'port', 'agent-check', 'agent-port', 'agent-inter', 'agent-addr', 'agent-send',
  'observe', 'error-limit', 'on-error', 'on-marked-down', 'on-marked-up',
])

/** One option with its argument words, e.g. `inter 2s` or `check`. */
export interface OptionGroup {
  keyword: string
  /** Index of the keyword in the line's words. */
  at: number
  words: Word[]
}

export function optionGroups(words: Word[], from: number): OptionGroup[] {
  const groups: OptionGroup[] = []
  let i = from
  while (i < words.length) {
    const keyword = words[i].value
    const width = FLAG_KEYWORDS.has(keyword) || i + 1 >= words.length ? 1 : 2
    groups.push({keyword, at: i, words: words.slice(i, i + width)})
    i += width
  }
  return groups
}

/** Split an address as written into host and port: `h:80`, `[::1]:80`, `::1:80`, `unix@/p`, `/p`, `${HOST}:80`. */
export function splitAddress(written: string): {address: string; port?: number} {
  const prefix = /^[a-z0-9]+@/i.exec(written)?.[0] ?? ''
  const rest = written.slice(prefix.length)
  if (rest.startsWith('/') || prefix === 'unix@' || prefix === 'abns@' || prefix === 'fd@' || prefix === 'sockpair@') return {address: written}
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(rest)
  if (bracket) return {address: prefix + bracket[1], port: toPort(bracket[2])}
  const colon = rest.lastIndexOf(':')
  if (colon === -1) return {address: written}
  const tail = rest.slice(colon + 1)
  const head = rest.slice(0, colon)
  if (head.includes(':') && !/^\d+$/.test(tail)) return {address: written}
  return {address: prefix + head, port: toPort(tail)}
}

function toPort(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : undefined
}

/** Read a `server` or `server-template` line of backend `backend` (index: 0-based line). */
export function readServer(line: Line, index: number, backend: string): ServerInfo | undefined {
  const [keyword, name, ...rest] = line.words
  if (!name) return undefined
  const template = keyword.value === 'server-template'
  const addressWord = template ? rest[1] : rest[0]
  const optionsFrom = template ? 4 : 3
  const {address, port} = splitAddress(addressWord?.value ?? '')
  const groups = optionGroups(line.words, optionsFrom)
  const weights = groups.filter((g) => g.keyword === 'weight' && g.words[1])
  const weightText = weights.at(-1)?.words[1].value
  const weight = weightText !== undefined && /^\d+$/.test(weightText) ? Number(weightText) : undefined
  const disabled = groups.some((g) => g.keyword === 'disabled')
  const state: ServerState = disabled ? 'disabled' : weight === 0 ? 'drain' : 'enabled'
  return {
    backend,
    name: template ? `${name.value}[1-${rest[0]?.value ?? ''}]` : name.value,
    address,
    port,
    state,
    weight,
    backup: groups.some((g) => g.keyword === 'backup'),
    options: line.words.slice(optionsFrom).map((w) => w.raw),
    line: index + 1,
  }
}

/** The text of a line with some words removed (each with the blanks before it) and words appended after the last word. */
export function rewriteWords(line: Line, remove: ReadonlySet<number>, append: readonly string[]): string {
  let text = ''
  let from = 0
  line.words.forEach((word, i) => {
    if (!remove.has(i)) return
    const prev = line.words[i - 1]
    const cut = prev ? prev.start + prev.raw.length : word.start
    text += line.text.slice(from, Math.max(cut, from))
    from = word.start + word.raw.length
  })
  const last = line.words.at(-1)!
  const lastEnd = last.start + last.raw.length
  text += line.text.slice(from, Math.max(lastEnd, from))
  text += append.map((a) => ` ${a}`).join('')
  text += line.text.slice(Math.max(lastEnd, from))
  return text
}

/**
 * The server line rewritten to a state. `disabled` is HAProxy's keyword for
 * maintenance; drain is `weight 0` (HAProxy has no config keyword for drain:
 * a server of weight 0 takes no new load-balanced traffic but keeps its
 * sessions and persistent clients). Enabling removes what the other two add,
 * so drain → enable and disable → enable give back the original line.
 */
export function withState(line: Line, state: ServerState): string {
  const groups = optionGroups(line.words, 3)
  const remove = new Set<number>()
  const append: string[] = []
  const zeroWeights = groups.filter((g) => g.keyword === 'weight' && g.words[1]?.value === '0')
  if (state !== 'disabled') for (const g of groups) if (g.keyword === 'disabled') remove.add(g.at)
  if (state !== 'drain') for (const g of zeroWeights) g.words.forEach((_, k) => remove.add(g.at + k))
  if (state === 'disabled' && !groups.some((g) => g.keyword === 'disabled')) append.push('disabled')
  if (state === 'drain') {
    const weights = groups.filter((g) => g.keyword === 'weight')
    if (weights.at(-1)?.words[1]?.value !== '0') append.push('weight 0')
  }
  return remove.size === 0 && append.length === 0 ? line.text : rewriteWords(line, remove, append)
}
