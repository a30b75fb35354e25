/**
 * The nginx concrete syntax tree. A block holds tokens (blanks, newlines,
 * comments) and directives in file order; a directive holds its name, its
 * arguments and the trivia between them as tokens, then `;` or a block.
 * Serializing joins every token's raw text, so it gives back the input.
 */
import type {ConfigDocument} from '../engine.js'
import {isLuaBlock, Lexer, type Token, wordValue} from './lexer.js'

/**
 * A directive keeps the raw text of its arguments as one string and splits
 * it into tokens only when something reads or edits them: a file of 10k
 * server lines is mostly lines nobody touches.
 */
export class Directive {
  readonly type = 'directive'
  private tokens?: Token[]

  /** The name as nginx reads it (unquoted). */
  readonly nameValue: string

  constructor(
    /** The name word as written. */
    readonly nameRaw: string,
    /** Everything between the name and the terminator, verbatim. */
    private rest: string,
    /** `;` or `{`. */
    readonly end: Token,
    private restNewlines: number,
    /** The arguments are bare words on one line (nothing quoted, escaped or commented): they split on blanks. */
    private readonly plain = false,
    public block?: Block,
  ) {
    this.nameValue = wordValue(nameRaw)
  }

  /** The name word, then argument words and the trivia between them. */
  get head(): Token[] {
    this.tokens ??= [{kind: 'word', raw: this.nameRaw}, ...tokenize(this.rest)]
    return this.tokens
  }

  set head(tokens: Token[]) {
    this.tokens = tokens
  }

  /** Newlines inside the head (arguments split over lines). */
  get newlines(): number {
    if (!this.tokens) return this.restNewlines
    let count = 0
    for (const t of this.tokens) count += newlinesIn(t)
    return count
  }

  /**
   * The arguments' values split on blanks, without building tokens, when
   * they are plain words: nothing quoted or escaped, no comment, one line.
   */
  plainArgs(): string[] | undefined {
    if (this.tokens || !this.plain) return undefined
    const args: string[] = []
    for (const word of this.rest.split(BLANKS)) if (word !== '') args.push(word)
    return args
  }

  /** The first argument's value. */
  firstArg(): string | undefined {
    if (this.tokens || !this.plain) return directiveArgs(this)[0]
    const start = this.rest.search(WORD)
    if (start < 0) return undefined
    const end = this.rest.slice(start).search(BLANKS)
    return end < 0 ? this.rest.slice(start) : this.rest.slice(start, start + end)
  }

  /**
   * Whether one of the arguments is `value` (a word with nothing to unquote),
   * read without splitting them when they are plain.
   */
  hasArg(value: string): boolean {
    if (!this.mentions(value)) return false
    if (this.tokens || !this.plain) return directiveArgs(this).includes(value)
    const {rest} = this
    for (let i = rest.indexOf(value); i >= 0; i = rest.indexOf(value, i + 1)) {
      const before = rest.charCodeAt(i - 1)
      const after = rest.charCodeAt(i + value.length)
      if ((i === 0 || before === 0x20 || before === 0x09) && (Number.isNaN(after) || after === 0x20 || after === 0x09)) return true
    }
    return false
  }

  /** Whether the arguments' text holds `text` anywhere: a cheap test that rules a directive out. */
  mentions(text: string): boolean {
    return this.tokens ? this.headText().includes(text) : this.rest.includes(text)
  }

  headText(): string {
    if (!this.tokens) return this.nameRaw + this.rest
    let out = ''
    for (const t of this.tokens) out += t.raw
    return out
  }
}

const BLANKS = /[ \t]+/
const WORD = /[^ \t]/

function tokenize(text: string): Token[] {
  const lexer = new Lexer(text, '(arguments)')
  const tokens: Token[] = []
  for (let t = lexer.next(); t; t = lexer.next()) tokens.push(t)
  return tokens
}

/** Where an unparsed block's body lies in the file. */
interface Body {
  /** The lexer that stepped over it, for the file and the blocks inside already stepped over. */
  lexer: Lexer
  /** Offsets of the body: after the `{`, up to the `}`. */
  start: number
  end: number
  /** The line at `start`, and the newlines up to `end`. */
  line: number
  newlines: number
}

const CLOSE: Token = {kind: '}', raw: '}'}

/**
 * A block's items, parsed from the file the first time something reads them.
 * The parser has already checked the body's syntax, so parsing it later
 * cannot fail.
 */
export class Block {
  private list?: Node[]
  private body?: Body

  private constructor(
    /** The closing `}`; absent for the file itself. */
    readonly close?: Token,
  ) {}

  static of(items: Node[], close?: Token): Block {
    const block = new Block(close)
    block.list = items
    return block
  }

  static unparsed(body: Body): Block {
    const block = new Block(CLOSE)
    block.body = body
    return block
  }

  get items(): Node[] {
    if (!this.list) {
      const {lexer, start, line} = this.body as Body
      this.list = parseBlock(new Lexer(lexer.text, lexer.file, start, line, lexer.index), false).list
      this.body = undefined
    }
    return this.list as Node[]
  }

  /** The body as written, while nothing has parsed it. */
  get source(): string | undefined {
    return this.body && this.body.lexer.text.slice(this.body.start, this.body.end)
  }

  /** Newlines in the body, counted without parsing it. */
  get newlines(): number {
    if (this.body) return this.body.newlines
    return visitBlock(this, 0, [], () => undefined, () => false)
  }
}

function newlinesIn(t: Token): number {
  if (t.kind === 'nl') return 1
  let count = 0
  if (t.kind === 'word' || t.kind === 'raw') for (let i = t.raw.indexOf('\n'); i >= 0; i = t.raw.indexOf('\n', i + 1)) count++
  return count
}

export type Node = Directive | Token

export function isDirective(node: Node | undefined): node is Directive {
  return node instanceof Directive
}

export function directiveName(d: Directive): string {
  return d.nameValue
}

export function directiveArgs(d: Directive): string[] {
  const plain = d.plainArgs()
  if (plain) return plain
  const args: string[] = []
  for (let i = 1; i < d.head.length; i++) if (d.head[i].kind === 'word') args.push(wordValue(d.head[i].raw))
  return args
}

export class NginxDocument implements ConfigDocument {
  readonly engine = 'nginx' as const

  constructor(
    readonly file: string,
    readonly root: Block,
    /** The text parsed, for the file's line ending. */
    private readonly text = '',
  ) {}

  serialize(): string {
    return emitBlock(this.root)
  }

  /** The line ending the file uses (its first), for new lines. */
  eol(): string {
    const lf = this.text.indexOf('\n')
    return lf > 0 && this.text.charCodeAt(lf - 1) === 0x0d ? '\r\n' : '\n'
  }
}

// String concatenation: V8 builds ropes, faster here than collecting ~10 pieces a line for join().
function emitBlock(block: Block): string {
  const source = block.source
  if (source !== undefined) return source + (block.close?.raw ?? '')
  let out = ''
  for (const node of block.items) {
    if (isDirective(node)) {
      out += node.headText()
      out += node.end.raw
      if (node.block) out += emitBlock(node.block)
    } else out += node.raw
  }
  return block.close ? out + block.close.raw : out
}

export function parseNginx(text: string, file: string): NginxDocument {
  const lexer = new Lexer(text, file)
  return new NginxDocument(file, parseBlock(lexer, true), text)
}

/** Parse a piece of config written by hactl itself (known to be well formed). */
export function parseSnippet(text: string): Directive {
  const node = parseNginx(text, '(new text)').root.items.find((n) => isDirective(n))
  if (!isDirective(node)) throw new Error(`not a directive: ${text}`)
  return node
}

function parseBlock(lexer: Lexer, isRoot: boolean): Block {
  const items: Node[] = []
  for (;;) {
    const token = lexer.next()
    if (!token) {
      if (isRoot) return Block.of(items)
      throw lexer.error('unexpected end of file, expecting "}"', lexer.currentLine)
    }
    switch (token.kind) {
      case '}': {
        if (isRoot) throw lexer.error('unexpected "}"', lexer.currentLine)
        return Block.of(items, token)
      }
      case ';':
      case '{': {
        throw lexer.error(`unexpected "${token.raw}"`, lexer.currentLine)
      }
      case 'word': {
        items.push(parseDirective(lexer, token))
        break
      }
      default: {
        items.push(token)
      }
    }
  }
}

function parseDirective(lexer: Lexer, name: Token): Directive {
  const {raw, newlines, plain} = lexer.head()
  const end = lexer.next()
  if (!end) throw lexer.error(`unexpected end of file, expecting ";" or "{" after "${wordValue(name.raw)}"`, lexer.currentLine)
  if (end.kind === '}') throw lexer.error(`unexpected "}" in "${wordValue(name.raw)}", expecting ";"`, lexer.currentLine)
  const d = new Directive(name.raw, raw, end, newlines, plain)
  if (end.kind === '{') {
    if (isLuaBlock(d.nameValue)) {
      const body = lexer.luaBody()
      const close = lexer.next() as Token
      d.block = Block.of(body.raw === '' ? [] : [body], close)
    } else {
      const start = lexer.offset
      const line = lexer.currentLine
      lexer.skipBlock()
      d.block = Block.unparsed({lexer, start, end: lexer.offset - 1, line, newlines: lexer.currentLine - line})
    }
  }
  return d
}

export interface Visit {
  directive: Directive
  /** 1-based line of the directive's name. */
  line: number
  /** Enclosing directives, outermost first. */
  parents: Directive[]
  /** The block holding the directive. */
  container: Block
}

/** Called with each directive, the line of its name, its enclosing directives and the block holding it. */
export type Visitor = (directive: Directive, line: number, parents: Directive[], container: Block) => void

/**
 * Each directive of `block` in file order, and of the blocks inside it that
 * `enter` accepts (all, without it), with lines counted from `line`; the
 * blocks not entered are stepped over unparsed. Returns the line the block
 * ends on.
 */
export function visitBlock(block: Block, line: number, parents: Directive[], visit: Visitor, enter?: (d: Directive, parents: Directive[]) => boolean): number {
  for (const node of block.items) {
    if (!isDirective(node)) {
      line += newlinesIn(node)
      continue
    }
    visit(node, line, parents, block)
    line += node.newlines
    if (!node.block) continue
    if (enter && !enter(node, parents)) line += node.block.newlines
    else line = visitBlock(node.block, line, [...parents, node], visit, enter)
  }
  return line
}

/**
 * Every directive in file order with its line and its enclosing directives;
 * with `keep`, only those it accepts (lines are counted all the same), so an
 * edit of one upstream does not build a record for each of 10k servers; with
 * `enter`, only the blocks it accepts are looked into (and parsed).
 */
export function walk(
  doc: NginxDocument,
  keep?: (d: Directive, parents: Directive[]) => boolean,
  enter?: (d: Directive, parents: Directive[]) => boolean,
): Visit[] {
  const visits: Visit[] = []
  visitBlock(
    doc.root,
    1,
    [],
    (directive, line, parents, container) => {
      if (!keep || keep(directive, parents)) visits.push({directive, line, parents, container})
    },
    enter,
  )
  return visits
}

// ---- line-level editing: copy neighbours' indentation, touch only whole lines ----

const ws = (raw: string): Token => ({kind: 'ws', raw})
const nl = (raw: string): Token => ({kind: 'nl', raw})

function isKind(node: Node | undefined, kind: Token['kind']): boolean {
  return node !== undefined && !isDirective(node) && node.kind === kind
}

/** Where the line holding items[index] starts, when nothing but blanks precede it on that line. */
function lineStart(block: Block, index: number): number | undefined {
  const atStart = (i: number): boolean => (i === 0 ? block.close === undefined : isKind(block.items[i - 1], 'nl'))
  if (atStart(index)) return index
  if (isKind(block.items[index - 1], 'ws') && atStart(index - 1)) return index - 1
  return undefined
}

/** The indentation of items[index] when it starts its line. */
export function indentOf(block: Block, index: number): string | undefined {
  const start = lineStart(block, index)
  if (start === undefined) return undefined
  return start === index ? '' : (block.items[start] as Token).raw
}

/** Index of the newline ending items[index]'s line, when only blanks and a comment follow it. */
function lineEnd(block: Block, index: number): number | undefined {
  let j = index + 1
  while (isKind(block.items[j], 'ws') || isKind(block.items[j], 'comment')) j++
  return isKind(block.items[j], 'nl') ? j : undefined
}

/** The newline after items[index], or the file's. */
function eolAfter(block: Block, index: number, fallback: string): string {
  const end = lineEnd(block, index)
  return end === undefined ? fallback : (block.items[end] as Token).raw
}

/** Put `node` on its own line after the line of items[index], indented like it. */
export function insertAfter(block: Block, index: number, node: Directive, eol: string): void {
  const end = lineEnd(block, index)
  const indent = indentOf(block, index)
  if (end === undefined && indent !== undefined && atFileEnd(block, index)) {
    // The sibling ends a file without a final newline: the new line goes after it, still without one.
    block.items.push(nl(eol), ...(indent ? [ws(indent), node] : [node]))
    return
  }
  if (end === undefined || indent === undefined) {
    block.items.splice(index + 1, 0, ws(' '), node)
    return
  }
  const line: Node[] = indent ? [ws(indent), node, nl(eolAfter(block, index, eol))] : [node, nl(eolAfter(block, index, eol))]
  block.items.splice(end + 1, 0, ...line)
}

/** Put `node` on its own line just before the line of items[index]. */
export function insertBefore(block: Block, index: number, node: Directive, indent: string, eol: string): void {
  const start = lineStart(block, index)
  if (start === undefined) {
    block.items.splice(index, 0, node, ws(' '))
    return
  }
  block.items.splice(start, 0, ...(indent ? [ws(indent), node, nl(eol)] : [node, nl(eol)]))
}

/** Put `node` on its own line as the last thing in the block (before its `}`, or at the end of the file). */
export function append(block: Block, node: Directive, indent: string, eol: string): void {
  const {items} = block
  let last = items.length - 1
  while (last >= 0 && isKind(items[last], 'ws')) last--
  const line: Node[] = indent ? [ws(indent), node] : [node]
  if (last >= 0 && isKind(items[last], 'nl')) {
    items.splice(last + 1, 0, ...line, nl(eol))
  } else if (block.close === undefined) {
    items.push(nl(eol), ...line)
  } else if (items.length === 0) {
    items.push(ws(' '), node, ws(' '))
  } else {
    items.push(nl(eol), ...line, nl(eol))
  }
}

/** Only blanks and comments follow items[index] in the file itself. */
function atFileEnd(block: Block, index: number): boolean {
  if (block.close !== undefined) return false
  for (let j = index + 1; j < block.items.length; j++) if (!isKind(block.items[j], 'ws') && !isKind(block.items[j], 'comment')) return false
  return true
}

/** Remove items[index]; with its whole line when it had the line to itself. */
export function removeAt(block: Block, index: number): void {
  const start = lineStart(block, index)
  const end = lineEnd(block, index)
  if (start !== undefined && end !== undefined) {
    block.items.splice(start, end - start + 1)
    return
  }
  if (start !== undefined && start > 0 && atFileEnd(block, index)) {
    // The last line of a file without a final newline: take the newline before it instead.
    block.items.splice(start - 1)
    return
  }
  if (isKind(block.items[index - 1], 'ws')) block.items.splice(index - 1, 2)
  else block.items.splice(index, 1)
}

/** Replace the head of a directive, keeping its first blank (the gap after the name) and its trailing trivia. */
export function setArgs(d: Directive, args: string[]): void {
  let lastWord = 0
  for (let i = 0; i < d.head.length; i++) if (d.head[i].kind === 'word') lastWord = i
  const gap = d.head[1]?.kind === 'ws' ? d.head[1].raw : ' '
  const tail = d.head.slice(lastWord + 1)
  const words: Token[] = [d.head[0]]
  args.forEach((a, i) => words.push(ws(i === 0 ? gap : ' '), {kind: 'word', raw: a}))
  d.head = [...words, ...tail]
}

/** The head's argument word tokens with their indexes, for edits that touch one word. */
export function argTokens(d: Directive): {index: number; value: string}[] {
  const out: {index: number; value: string}[] = []
  for (let i = 1; i < d.head.length; i++) if (d.head[i].kind === 'word') out.push({index: i, value: wordValue(d.head[i].raw)})
  return out
}

/** Append a word to a directive's arguments. */
export function addArg(d: Directive, raw: string): void {
  let lastWord = 0
  for (let i = 0; i < d.head.length; i++) if (d.head[i].kind === 'word') lastWord = i
  d.head.splice(lastWord + 1, 0, ws(' '), {kind: 'word', raw})
}

/** Remove the argument word at head[index] and the blank before it. */
export function removeArg(d: Directive, index: number): void {
  if (d.head[index - 1]?.kind === 'ws') d.head.splice(index - 1, 2)
  else d.head.splice(index, 1)
}

export function childDirectives(block: Block): Directive[] {
  return block.items.filter((n): n is Directive => (n as Directive).type === 'directive')
}

/** Indentation of the block's first directive that starts a line. */
export function childIndent(block: Block): string | undefined {
  for (let i = 0; i < block.items.length; i++) {
    if ((block.items[i] as Directive).type !== 'directive') continue
    const indent = indentOf(block, i)
    if (indent !== undefined) return indent
  }
  return undefined
}
