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

/** Split text into lines; `\r\n` endings are kept as such, a last line without an ending keeps `''`. */
export function splitLines(text: string): {text: string; eol: Eol}[] {
  const out: {text: string; eol: Eol}[] = []
  let from = 0
  while (from < text.length) {
    const nl = text.indexOf('\n', from)
    if (nl === -1) {
      out.push({text: text.slice(from), eol: ''})
      break
    }
    const crlf = nl > from && text.charCodeAt(nl - 1) === 13
    out.push({text: text.slice(from, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n'})
    from = nl + 1
  }
  return out
}

/** Tokenize one line. Problems (unterminated quote or `${`) are pushed to `problems`; the words found so far are kept. */
export function lexLine(text: string, eol: Eol, problems: LexProblem[] = []): Line {
  const n = text.length
  let i = 0
  while (i < n && isBlank(text[i])) i++
  const indent = text.slice(0, i)
  const words: Word[] = []
  let commentAt = -1
  while (i < n) {
    const c = text[i]
    if (isBlank(c)) {
      i++
      continue
    }
    if (c === '#') {
      commentAt = i
      break
    }
    const start = i
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
          value += text.slice(i)
          i = n
          break
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
    words.push({raw: text.slice(start, i), value, start})
  }
  return {text, eol, indent, words, commentAt}
}

/** Lex a whole file; throws one ConfigError per bad line (all of them at once) with file:line:col. */
export function lexFile(source: string, file: string): Line[] {
  const errors: ConfigError[] = []
  const lines = splitLines(source).map(({text, eol}, index) => {
    const problems: LexProblem[] = []
    const line = lexLine(text, eol, problems)
    for (const p of problems) {
      errors.push(new ConfigError(p.message, {file, line: index + 1, col: p.col}, {actions: ['Close the quote, or escape the character with a backslash.']}))
    }
    return line
  })
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new ConfigErrors(errors)
  return lines
}

/** Quote a value so HAProxy reads it back unchanged (only when it needs it). */
export function quoteWord(value: string): string {
  if (value !== '' && /^[^\s#"'\\$]+$/.test(value)) return value
  return `'${value.replaceAll("'", `'\\''`)}'`
}
