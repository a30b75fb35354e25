/**
 * HAProxy's line grammar, kept lossless: a line is its raw text plus its line
 * ending, and every word records where it sits in that text. Serializing is
 * joining the raw texts, so nothing the lexer does can change a byte.
 *
 * The word rules follow HAProxy's own `parse_line()`: blanks separate words,
 * `#` outside quotes starts a comment, double quotes allow backslash escapes
 * and `${ENV}` references, single quotes take everything literally, and a
 * backslash outside quotes escapes the next character.
 */
import {ConfigError, ConfigErrors} from '../../errors.js'

export type Eol = '' | '\n' | '\r\n'

export interface Word {
  /** The word exactly as written, quotes and escapes included. */
  raw: string
  /** What HAProxy sees: quotes removed, escapes resolved, `${ENV}` kept as written. */
  value: string
  /** Offset of the word in its line's text. */
  start: number
}

export interface Line {
  /** The line without its line ending. */
  text: string
  eol: Eol
  /** Leading blanks. */
  indent: string
  words: Word[]
  /** Offset where a trailing or own-line `#` comment starts, -1 when there is none. */
  commentAt: number
}

/** A problem found while reading a line; the caller adds the file and line number. */
export interface LexProblem {
  col: number
  message: string
}

const ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t'}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t'
}

const SPACE = 32
const TAB = 9
const HASH = 35
const DQUOTE = 34
const SQUOTE = 39
const BACKSLASH = 92
const DOLLAR = 36

/** Tokenize one line. Problems (unterminated quote or `${`) are pushed to `problems`; the words found so far are kept. */
export function lexLine(text: string, eol: Eol, problems: LexProblem[] = []): Line {
  const n = text.length
  let i = 0
  while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++
  const indent = i === 0 ? '' : text.slice(0, i)
  const words: Word[] = []
  let commentAt = -1
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === SPACE || c === TAB) {
      i++
      continue
    }
    if (c === HASH) {
      commentAt = i
      break
    }
    // Fast path: most words hold no quote, escape or variable, so their value is their text.
    const start = i
    let special = false
    while (i < n) {
      const ch = text.charCodeAt(i)
      if (ch === SPACE || ch === TAB || ch === HASH) break
      if (ch === DQUOTE || ch === SQUOTE || ch === BACKSLASH || ch === DOLLAR) {
        special = true
        break
      }
      i++
    }
    if (!special) {
      const raw = text.slice(start, i)
      words.push({raw, value: raw, start})
      continue
    }
    const word = lexWord(text, start, problems)
    i = word.end
    words.push({raw: text.slice(start, i), value: word.value, start})
  }
  return {text, eol, indent, words, commentAt}
}

/** The slow path: one word with quotes, escapes or `${ENV}` in it, from `start` to its end. */
function lexWord(text: string, start: number, problems: LexProblem[]): {value: string; end: number} {
  const n = text.length
  let i = start
  let value = ''
  let quote: '"' | "'" | '' = ''
  let quoteAt = -1
  while (i < n) {
    const ch = text[i]
    if (quote === "'") {
      if (ch === "'") quote = ''
      else value += ch
      i++
      continue
    }
    if (ch === '\\' && i + 1 < n) {
      const next = text[i + 1]
      if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
        value += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 4), 16))
        i += 4
      } else {
        value += ESCAPES[next] ?? next
        i += 2
      }
      continue
    }
    if (ch === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2)
      if (close === -1) {
        problems.push({col: i + 1, message: "unterminated environment variable reference: '${' without a closing '}'"})
        return {value: value + text.slice(i), end: n}
      }
      value += text.slice(i, close + 1)
      i = close + 1
      continue
    }
    if (quote === '"') {
      if (ch === '"') quote = ''
      else value += ch
      i++
      continue
    }
    if (ch === '"' || ch === "'") {
      quote = ch
      quoteAt = i
      i++
      continue
    }
    if (isBlank(ch) || ch === '#') break
    value += ch
    i++
  }
  if (quote) problems.push({col: quoteAt + 1, message: `unterminated quote: the ${quote === '"' ? 'double' : 'single'} quote opened here is never closed`})
  return {value, end: i}
}

/**
 * A line of a file whose words are read when first asked for. Lexing every
 * word of a 10k-line file cost a one-command process more than the rest of an
 * edit; an edit reads the section headers and one section's lines. Only lines
 * with no quote and no `${` are left lazy: nothing in them can be an error.
 */
class LazyLine implements Line {
  // Declared, not class fields: a 10k-line file makes 10k of these in a
  // process whose code still runs in the interpreter, and class fields cost
  // each construction a call to their initializer and a define per field.
  declare readonly text: string
  declare readonly eol: Eol
  /** Where the line starts in the text lexFile read, -1 for a line made otherwise: see HaproxyDocument.serialize. */
  declare readonly at: number
  private declare lexed: Line | undefined

  constructor(text: string, eol: Eol, at = -1) {
    this.text = text
    this.eol = eol
    this.at = at
    this.lexed = undefined
  }

  private get full(): Line {
    return (this.lexed ??= lexLine(this.text, this.eol))
  }

  get indent(): string {
    return this.full.indent
  }

  get words(): Word[] {
    return this.full.words
  }

  get commentAt(): number {
    return this.full.commentAt
  }

  /** The first word's value without lexing the rest of the line, when it is a plain word. */
  firstWord(): string | undefined {
    if (this.lexed) return this.lexed.words[0]?.value
    const plain = PLAIN_FIRST_WORD.exec(this.text)
    if (plain) return plain[1]
    return NO_WORDS.test(this.text) ? undefined : this.words[0]?.value
  }
}

/** A first word with no escape or `$` in it (quotes are not in lazy lines), and what may follow it. */
const PLAIN_FIRST_WORD = /^[ \t]*([^ \t#\\$]+)(?:[ \t#]|$)/
const NO_WORDS = /^[ \t]*(?:#|$)/

/** The value of a line's first word (what says which directive or section it is), undefined for a blank or comment line. */
export function firstWord(line: Line): string | undefined {
  return line instanceof LazyLine ? line.firstWord() : line.words[0]?.value
}

/**
 * False when the line's first word cannot begin with one of `initials`
 * (character codes), read from its first character without lexing or
 * allocating: finding the sections of a 10k-server file then skips each
 * `server` line after one comparison. A backslash may escape any letter, so it
 * passes, as does any line already lexed.
 */
export function firstWordMayStartWith(line: Line, initials: ReadonlySet<number>): boolean {
  if (!(line instanceof LazyLine)) return true
  const {text} = line
  let i = 0
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
  if (i === text.length) return false
  const c = text.charCodeAt(i)
  return c === 92 || initials.has(c)
}

/** The same line with another line ending. */
export function withEol(line: Line, eol: Eol): Line {
  return line instanceof LazyLine ? new LazyLine(line.text, eol) : {...line, eol}
}

/**
 * The lines joined back into text. Lines lexFile read from `source` and left
 * as they were, one right after the other, are copied from it as one slice:
 * joining 10k line texts one by one cost a process most of what the rest of
 * an edit costs, and made 10k short-lived strings.
 */
export function joinLines(lines: readonly Line[], source?: string): string {
  if (source === undefined) return lines.map((line) => line.text + line.eol).join('')
  let out = ''
  let runStart = -1
  let runEnd = -1
  // An indexed loop: for…of goes through the iterator protocol, which the interpreter runs 10k times.
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const at = line instanceof LazyLine ? line.at : -1
    if (at >= 0 && at === runEnd) {
      runEnd = at + line.text.length + line.eol.length
      continue
    }
    if (runStart >= 0) out += source.slice(runStart, runEnd)
    if (at >= 0) {
      runStart = at
      runEnd = at + line.text.length + line.eol.length
    } else {
      runStart = -1
      runEnd = -1
      out += line.text + line.eol
    }
  }
  if (runStart >= 0) out += source.slice(runStart, runEnd)
  return out
}

const RISKY = /["']|\$\{/

/** Lex a whole file; throws one ConfigError per bad line (all of them at once) with file:line:col. */
export function lexFile(source: string, file: string): Line[] {
  return lexSource(source, file).lines
}

/**
 * lexFile, and the indexes of the lines whose first word may begin with one
 * of `initials` (as firstWordMayStartWith says), found without visiting each
 * line again: one regular expression over the whole text finds where such
 * lines start, and the pass that splits the lines only compares offsets.
 * HaproxyDocument finds its sections among these.
 */
export function lexSource(source: string, file: string, initials: ReadonlySet<number> = new Set()): {lines: Line[]; candidates: number[]} {
  const errors: ConfigError[] = []
  const lines: Line[] = []
  const candidates: number[] = []
  // A line start (after \n; the m flag also matches after a lone \r, an offset no line starts at, passed over below),
  // blanks, then one of the initials or a backslash (which may escape any letter).
  const starts = [...initials, 92].map((c) => `\\x${c.toString(16).padStart(2, '0')}`).join('')
  const heads = new RegExp(`^[ \\t]*[${starts}]`, 'gm')
  let next = heads.exec(source)?.index ?? Infinity
  // Most files hold no quote and no `${` at all: then no line needs looking at here.
  const anyRisky = RISKY.test(source)
  let from = 0
  while (from < source.length) {
    const nl = source.indexOf('\n', from)
    const end = nl === -1 ? source.length : nl
    const crlf = nl > from && source.charCodeAt(nl - 1) === 13
    const text = source.slice(from, crlf ? end - 1 : end)
    const eol: Eol = nl === -1 ? '' : crlf ? '\r\n' : '\n'
    while (next < from) next = heads.exec(source)?.index ?? Infinity
    // Only a quote or `${` can leave a line unterminated: the other lines are lexed when read.
    if (anyRisky && RISKY.test(text)) {
      const problems: LexProblem[] = []
      candidates.push(lines.length)
      lines.push(lexLine(text, eol, problems))
      for (const p of problems) {
        errors.push(new ConfigError(p.message, {file, line: lines.length, col: p.col}, {actions: ['Close the quote, or escape the character with a backslash.']}))
      }
    } else {
      if (next === from) candidates.push(lines.length)
      lines.push(new LazyLine(text, eol, from))
    }
    from = end + 1
  }
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new ConfigErrors(errors)
  return {lines, candidates}
}

/** Quote a value so HAProxy reads it back unchanged (only when it needs it). */
export function quoteWord(value: string): string {
  if (value !== '' && /^[^\s#"'\\$]+$/.test(value)) return value
  return `'${value.replaceAll("'", `'\\''`)}'`
}
