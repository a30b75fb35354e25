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

/** Tokens are never changed in place, so the common ones are shared: fewer objects to build and collect. */
const NL: Token = {kind: 'nl', raw: '\n'}
const CRLF: Token = {kind: 'nl', raw: '\r\n'}
const PUNCT: Record<';' | '{' | '}', Token> = {';': {kind: ';', raw: ';'}, '{': {kind: '{', raw: '{'}, '}': {kind: '}', raw: '}'}}
const BLANK_RUNS = 16
const SPACES = Array.from({length: BLANK_RUNS + 1}, (_, n): Token => ({kind: 'ws', raw: ' '.repeat(n)}))
const TABS = Array.from({length: BLANK_RUNS + 1}, (_, n): Token => ({kind: 'ws', raw: '\t'.repeat(n)}))

const LUA_BLOCK = '_by_lua_block'

/** A directive whose block is a Lua body, not nginx syntax. */
export function isLuaBlock(name: string): boolean {
  return name.endsWith(LUA_BLOCK)
}

const SPACE = 0x20
const TAB = 0x09
const CR = 0x0d
const LF = 0x0a

/** A block's body and closing brace: where they end, and the newlines in them. */
interface Skipped {
  end: number
  newlines: number
}

/** The bytes that end a run of plain words: anything but these and blanks needs the byte-by-byte lexer. */
const NOT_PLAIN = ['"', "'", '#', '\\', '{', '}', '$', '\n', '\r']

/**
 * What the lexers of one text learn about it and share: the blocks already
 * stepped over, and where the next byte of each NOT_PLAIN kind is. With the
 * latter, a head of plain words (most lines of a big file) is stepped over
 * with a few searches instead of a loop over its bytes.
 */
export class TextIndex {
  readonly skipped = new Map<number, Skipped>()
  /** For each NOT_PLAIN byte: its next offset at or after `from` (Infinity for none). */
  private readonly from = NOT_PLAIN.map(() => Number.POSITIVE_INFINITY)
  private readonly at = NOT_PLAIN.map(() => -1)

  constructor(readonly text: string) {}

  /** Whether text[start, end) holds none of the NOT_PLAIN bytes. */
  plain(start: number, end: number): boolean {
    for (let k = 0; k < NOT_PLAIN.length; k++) {
      if (this.from[k] > start || this.at[k] < start) {
        const found = this.text.indexOf(NOT_PLAIN[k], start)
        this.from[k] = start
        this.at[k] = found < 0 ? Number.POSITIVE_INFINITY : found
      }
      if (this.at[k] < end) return false
    }
    return true
  }
}

export class Lexer {
  constructor(
    readonly text: string,
    readonly file: string,
    /** Where to start, and that offset's line: a block parsed later starts inside the file. */
    private pos = 0,
    private line = 1,
    /** Shared by the lexers of this text: a block parsed later steps over its children without reading them again. */
    readonly index = new TextIndex(text),
  ) {}

  /** Newlines inside the word just stepped over, for its caller to count. */
  private crossed = 0
  private lastWord?: Token
  /** Whether a bare word had a `\` in it since skipHead began. */
  private escaped = false

  get currentLine(): number {
    return this.line
  }

  get offset(): number {
    return this.pos
  }

  next(): Token | undefined {
    const start = this.pos
    const kind = this.scan()
    if (kind === undefined) return undefined
    if (kind === 'nl') return this.pos - start === 1 ? NL : CRLF
    if (kind === ';' || kind === '{' || kind === '}') return PUNCT[kind]
    if (kind === 'ws') {
      const shared = this.sharedBlank(start, this.pos)
      if (shared) return shared
    }
    if (kind === 'word') {
      // A run of the same directive (10k `server` lines) shares its name's token.
      const last = this.lastWord
      if (last && last.raw.length === this.pos - start && this.text.startsWith(last.raw, start)) return last
      this.lastWord = {kind, raw: this.text.slice(start, this.pos)}
      return this.lastWord
    }
    return {kind, raw: this.text.slice(start, this.pos)}
  }

  /** The shared token for a run of only spaces or only tabs (indentation, mostly). */
  private sharedBlank(start: number, end: number): Token | undefined {
    const {text} = this
    const c = text.charCodeAt(start)
    if (end - start > BLANK_RUNS) return undefined
    for (let i = start + 1; i < end; i++) if (text.charCodeAt(i) !== c) return undefined
    return c === SPACE ? SPACES[end - start] : c === TAB ? TABS[end - start] : undefined
  }

  /** Step over the next token without building it, counting lines as next() does: its kind, or undefined at the end. */
  private scan(): TokenKind | undefined {
    const {text} = this
    const start = this.pos
    if (start >= text.length) return undefined
    const c = text.charCodeAt(start)
    if (c === LF || (c === CR && text.charCodeAt(start + 1) === LF)) {
      this.pos = start + (c === LF ? 1 : 2)
      this.line++
      return 'nl'
    }
    if (c === SPACE || c === TAB || c === CR) {
      let end = start + 1
      for (let d = text.charCodeAt(end); d === SPACE || d === TAB || (d === CR && text.charCodeAt(end + 1) !== LF); d = text.charCodeAt(end)) end++
      this.pos = end
      return 'ws'
    }
    if (c === 0x3b || c === 0x7b || c === 0x7d) {
      this.pos = start + 1
      return c === 0x3b ? ';' : c === 0x7b ? '{' : '}'
    }
    if (c === 0x23) {
      let end = text.indexOf('\n', start)
      if (end < 0) end = text.length
      else if (text.charCodeAt(end - 1) === CR) end--
      this.pos = end
      return 'comment'
    }
    this.pos = c === 0x22 || c === 0x27 ? this.quotedEnd(start, c) : this.wordEnd(start)
    this.line += this.crossed
    this.crossed = 0
    return 'word'
  }

  /** Move to `end`, counting the newlines on the way. */
  private skipTo(end: number): void {
    for (let i = this.text.indexOf('\n', this.pos); i >= 0 && i < end; i = this.text.indexOf('\n', i + 1)) this.line++
    this.pos = end
  }

  private nameAt(start: number, end: number): string {
    return wordValue(this.text.slice(start, end))
  }

  /**
   * Step over a block's body and its closing brace, checking it as the parser
   * would (the same errors at the same lines) but building nothing: a block
   * is parsed only when something reads it, and an edit of one upstream in a
   * file of 10k servers reads one upstream.
   */
  skipBlock(): void {
    const from = this.pos
    const line = this.line
    const known = this.index.skipped.get(from)
    if (known) {
      this.pos = known.end
      this.line += known.newlines
      return
    }
    for (;;) {
      const start = this.pos
      const kind = this.scan()
      if (kind === undefined) throw this.error('unexpected end of file, expecting "}"', this.line)
      if (kind === '}') {
        this.index.skipped.set(from, {end: this.pos, newlines: this.line - line})
        return
      }
      if (kind === ';' || kind === '{') throw this.error(`unexpected "${kind}"`, this.line)
      if (kind === 'word') this.skipDirective(start)
    }
  }

  /** After a directive's name word (which began at `nameStart`): its arguments, then its `;` or its block. */
  private skipDirective(nameStart: number): void {
    const nameEnd = this.pos
    this.skipHead()
    const end = this.scan()
    if (end === undefined) throw this.error(`unexpected end of file, expecting ";" or "{" after "${this.nameAt(nameStart, nameEnd)}"`, this.line)
    if (end === '}') throw this.error(`unexpected "}" in "${this.nameAt(nameStart, nameEnd)}", expecting ";"`, this.line)
    if (end !== '{') return
    const quoted = this.text.charCodeAt(nameEnd - 1)
    if (this.text.endsWith(LUA_BLOCK, nameEnd) || ((quoted === 0x22 || quoted === 0x27) && isLuaBlock(this.nameAt(nameStart, nameEnd)))) {
      this.skipTo(this.luaBodyEnd())
      this.scan()
    } else this.skipBlock()
  }

  /**
   * The raw text from here to the directive's terminator (`;`, `{`, `}` or
   * the end), stepping over words, quotes and comments as next() would,
   * without building tokens.
   */
  head(): {raw: string; newlines: number; plain: boolean} {
    const start = this.pos
    const line = this.line
    const plain = this.skipHead()
    return {raw: this.text.slice(start, this.pos), newlines: this.line - line, plain}
  }

  /** Whether the head was plain words and blanks on one line: nothing quoted, escaped or commented. */
  private skipHead(): boolean {
    const {text} = this
    let i = this.pos
    const semi = text.indexOf(';', i)
    if (semi >= 0 && this.index.plain(i, semi)) {
      // Blanks and bare words up to the `;`: nothing in between can end the head sooner.
      this.pos = semi
      return true
    }
    let newlines = 0
    let plain = true
    this.escaped = false
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === LF) {
        newlines++
        i++
        plain = false
      } else if (c === SPACE || c === TAB) i++
      else if (c === CR) {
        i++
        plain = false
      } else if (c === 0x3b || c === 0x7b || c === 0x7d) break
      else if (c === 0x23) {
        const nl = text.indexOf('\n', i)
        i = nl < 0 ? text.length : nl
        plain = false
      } else if (c === 0x22 || c === 0x27) {
        i = this.quotedEnd(i, c)
        newlines += this.crossed
        this.crossed = 0
        plain = false
      } else {
        i = this.wordEnd(i)
        newlines += this.crossed
        this.crossed = 0
      }
    }
    this.pos = i
    this.line += newlines
    return plain && !this.escaped
  }

  /**
   * The body of a `*_by_lua_block { … }` as one raw token, up to (not
   * including) its closing brace: Lua strings, long brackets and comments may
   * hold braces, so they are skipped the way OpenResty's lexer does.
   */
  luaBody(): Token {
    const start = this.pos
    this.skipTo(this.luaBodyEnd())
    return {kind: 'raw', raw: this.text.slice(start, this.pos)}
  }

  /** Where the Lua body starting here ends (its closing brace). */
  private luaBodyEnd(): number {
    const {text} = this
    const start = this.pos
    let depth = 0
    let i = start
    while (i < text.length) {
      const ch = text[i]
      if (ch === '{') depth++
      else if (ch === '}') {
        if (depth === 0) return i
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

  /** Where the quoted word at `start` ends; newlines inside it are added to `crossed`. */
  private quotedEnd(start: number, quote: number): number {
    const {text} = this
    for (let i = start + 1; i < text.length; i++) {
      let c = text.charCodeAt(i)
      if (c === 0x5c) c = text.charCodeAt(++i)
      else if (c === quote) return i + 1
      if (c === LF) this.crossed++
    }
    throw this.error(`unterminated ${quote === 0x22 ? 'double' : 'single'}-quoted string`, this.line)
  }

  /** Where the bare word at `start` ends; an escaped newline inside it is added to `crossed`. */
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
        this.escaped = true
        if (text.charCodeAt(++i) === LF) this.crossed++
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

  private lineAt(offset: number): number {
    let line = 1
    for (let i = this.text.indexOf('\n'); i >= 0 && i < offset; i = this.text.indexOf('\n', i + 1)) line++
    return line
  }

  error(message: string, line: number): ConfigError {
    return new ConfigError(message, {file: this.file, line}, {actions: [`Fix the nginx syntax at ${this.file}:${line}, then run the command again.`]})
  }
}
