/**
 * nginx's tokenizer, following ngx_conf_read_token: words end at blanks,
 * `;` and `{` (but `${` stays in the word), quotes open only at a word's
 * start, `\` escapes the next byte, `#` at a word's start runs to the end of
 * the line. Every token keeps its raw text, so joining them gives back the
 * input; whitespace, newlines and comments are tokens too.
 */
import {ConfigError} from '../../errors.js'

export type TokenKind = ';' | '{' | '}' | 'comment' | 'nl' | 'raw' | 'word' | 'ws'

export interface Token {
  kind: TokenKind
  raw: string
}

/** A word's value: quotes removed and the escapes nginx itself resolves applied. */
export function wordValue(raw: string): string {
  const quote = raw[0]
  const body = quote === '"' || quote === "'" ? raw.slice(1, -1) : raw
  if (!body.includes('\\')) return body
  return body.replace(/\\(["'\\tnr])/g, (_m, c: string) => {
    if (c === 't') return '\t'
    if (c === 'n') return '\n'
    if (c === 'r') return '\r'
    return c
  })
}

/** Tokens are never changed in place, so the common ones are shared: fewer objects to collect. */
const SHARED = new Map<string, Token>([
  ['\n', {kind: 'nl', raw: '\n'}],
  ['\r\n', {kind: 'nl', raw: '\r\n'}],
  [';', {kind: ';', raw: ';'}],
  ['{', {kind: '{', raw: '{'}],
  ['}', {kind: '}', raw: '}'}],
  ...[' ', '  ', '    ', '        ', '            ', '\t', '\t\t', '\t\t\t'].map((w): [string, Token] => [w, {kind: 'ws', raw: w}]),
])

const SPACE = 0x20
const TAB = 0x09
const CR = 0x0d
const LF = 0x0a

export class Lexer {
  private pos = 0
  private line = 1

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  get currentLine(): number {
    return this.line
  }

  next(): Token | undefined {
    const {text} = this
    const start = this.pos
    if (start >= text.length) return undefined
    const c = text.charCodeAt(start)
    if (c === LF) return this.take('nl', start + 1)
    if (c === CR && text.charCodeAt(start + 1) === LF) return this.take('nl', start + 2)
    if (c === SPACE || c === TAB || c === CR) {
      let end = start + 1
      for (let d = text.charCodeAt(end); d === SPACE || d === TAB || (d === CR && text.charCodeAt(end + 1) !== LF); d = text.charCodeAt(end)) end++
      return this.take('ws', end)
    }
    if (c === 0x3b) return this.take(';', start + 1)
    if (c === 0x7b) return this.take('{', start + 1)
    if (c === 0x7d) return this.take('}', start + 1)
    if (c === 0x23) {
      let end = text.indexOf('\n', start)
      if (end < 0) end = text.length
      else if (text.charCodeAt(end - 1) === CR) end--
      return this.take('comment', end)
    }
    if (c === 0x22 || c === 0x27) return this.take('word', this.quotedEnd(start, c))
    return this.take('word', this.wordEnd(start))
  }

  /**
   * The raw text from here to the directive's terminator (`;`, `{`, `}` or
   * the end), stepping over words, quotes and comments as next() would,
   * without building tokens.
   */
  head(): {raw: string; newlines: number} {
    const {text} = this
    const start = this.pos
    let i = start
    let newlines = 0
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === LF) {
        newlines++
        i++
      } else if (c === SPACE || c === TAB || c === CR) i++
      else if (c === 0x3b || c === 0x7b || c === 0x7d) break
      else if (c === 0x23) {
        const nl = text.indexOf('\n', i)
        i = nl < 0 ? text.length : nl
      } else {
        const end = c === 0x22 || c === 0x27 ? this.quotedEnd(i, c) : this.wordEnd(i)
        for (let j = text.indexOf('\n', i); j >= 0 && j < end; j = text.indexOf('\n', j + 1)) newlines++
        i = end
      }
    }
    this.pos = i
    this.line += newlines
    return {raw: text.slice(start, i), newlines}
  }

  /**
   * The body of a `*_by_lua_block { … }` as one raw token, up to (not
   * including) its closing brace: Lua strings, long brackets and comments may
   * hold braces, so they are skipped the way OpenResty's lexer does.
   */
  luaBody(): Token {
    const {text} = this
    const start = this.pos
    let depth = 0
    let i = start
    while (i < text.length) {
      const ch = text[i]
      if (ch === '{') depth++
      else if (ch === '}') {
        if (depth === 0) return this.take('raw', i)
        depth--
      } else if (ch === '"' || ch === "'") {
        i = this.luaStringEnd(i, ch)
        continue
      } else if (ch === '[' && /^\[=*\[/.test(text.slice(i, i + 64))) {
        i = this.longBracketEnd(i)
        continue
      } else if (ch === '-' && text[i + 1] === '-') {
        if (/^--\[=*\[/.test(text.slice(i, i + 64))) {
          i = this.longBracketEnd(i + 2)
          continue
        }
        const nl = text.indexOf('\n', i)
        i = nl < 0 ? text.length : nl
        continue
      }
      i++
    }
    throw this.error('unexpected end of file inside a Lua block, expecting "}"', this.lineAt(text.length))
  }

  private luaStringEnd(from: number, quote: string): number {
    for (let i = from + 1; i < this.text.length; i++) {
      const ch = this.text[i]
      if (ch === '\\') i++
      else if (ch === quote || ch === '\n') return i + 1
    }
    return this.text.length
  }

  private longBracketEnd(from: number): number {
    const open = /^\[(=*)\[/.exec(this.text.slice(from, from + 64))
    if (!open) return from + 1
    const close = `]${open[1]}]`
    const end = this.text.indexOf(close, from + open[0].length)
    return end < 0 ? this.text.length : end + close.length
  }

  private quotedEnd(start: number, quote: number): number {
    const {text} = this
    for (let i = start + 1; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 0x5c) i++
      else if (c === quote) return i + 1
    }
    throw this.error(`unterminated ${quote === 0x22 ? 'double' : 'single'}-quoted string`, this.line)
  }

  private wordEnd(start: number): number {
    const {text} = this
    let variable = false
    let i = start
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 0x7b && variable) {
        variable = false
        continue
      }
      variable = false
      if (c === 0x5c) {
        i++
        continue
      }
      if (c === 0x24) {
        variable = true
        continue
      }
      if (c === SPACE || c === TAB || c === CR || c === LF || c === 0x3b || c === 0x7b) break
    }
    return Math.min(i, text.length)
  }

  private take(kind: TokenKind, end: number): Token {
    const raw = this.text.slice(this.pos, end)
    this.pos = end
    const shared = kind === 'ws' || kind === 'nl' || kind === ';' || kind === '{' || kind === '}' ? SHARED.get(raw) : undefined
    if (shared) {
      if (kind === 'nl') this.line++
      return shared
    }
    if (kind === 'nl') this.line++
    else if (kind === 'word' || kind === 'raw') for (let i = raw.indexOf('\n'); i >= 0; i = raw.indexOf('\n', i + 1)) this.line++
    return {kind, raw}
  }

  private lineAt(offset: number): number {
    let line = 1
    for (let i = this.text.indexOf('\n'); i >= 0 && i < offset; i = this.text.indexOf('\n', i + 1)) line++
    return line
  }

  error(message: string, line: number): ConfigError {
    return new ConfigError(message, {file: this.file, line}, {actions: [`Fix the nginx syntax at ${this.file}:${line}, then run the command again.`]})
  }
}
