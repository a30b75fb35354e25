/**
 * The nginx concrete syntax tree. A block holds tokens (blanks, newlines,
 * comments) and directives in file order; a directive holds its name, its
 * arguments and the trivia between them as tokens, then `;` or a block.
 * Serializing joins every token's raw text, so it gives back the input.
 */
import type {ConfigDocument} from '../engine.js'
import {Lexer, type Token, wordValue} from './lexer.js'

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
    for (const t of this.tokens) count += t.kind === 'nl' ? 1 : t.raw.split('\n').length - 1
    return count
  }

  headText(): string {
    if (!this.tokens) return this.nameRaw + this.rest
    let out = ''
    for (const t of this.tokens) out += t.raw
    return out
  }
}

function tokenize(text: string): Token[] {
  const lexer = new Lexer(text, '(arguments)')
  const tokens: Token[] = []
  for (let t = lexer.next(); t; t = lexer.next()) tokens.push(t)
  return tokens
}

export interface Block {
  items: Node[]
  /** The closing `}`; absent for the file itself. */
  close?: Token
}

export type Node = Directive | Token

export function isDirective(node: Node | undefined): node is Directive {
  return node instanceof Directive
}

export function directiveName(d: Directive): string {
  return d.nameValue
}

export function directiveArgs(d: Directive): string[] {
  const args: string[] = []
  for (let i = 1; i < d.head.length; i++) if (d.head[i].kind === 'word') args.push(wordValue(d.head[i].raw))
  return args
}

export class NginxDocument implements ConfigDocument {
  readonly engine = 'nginx' as const

  constructor(
    readonly file: string,
    readonly root: Block,
  ) {}

  serialize(): string {
    return emitBlock(this.root)
  }

  /** The line ending the file mostly uses, for new lines. */
  eol(): string {
    return firstNewline(this.root) ?? '\n'
  }
}

function firstNewline(block: Block): string | undefined {
  for (const node of block.items) {
    if (isDirective(node)) {
      if (node.newlines > 0) return node.headText().includes('\r\n') ? '\r\n' : '\n'
      if (node.block) {
        const inner = firstNewline(node.block)
        if (inner) return inner
      }
    } else if (node.kind === 'nl') return node.raw
  }
  return undefined
}

// String concatenation: V8 builds ropes, faster here than collecting ~10 pieces a line for join().
function emitBlock(block: Block): string {
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
  return new NginxDocument(file, parseBlock(lexer, true))
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
      if (isRoot) return {items}
      throw lexer.error('unexpected end of file, expecting "}"', lexer.currentLine)
    }
    switch (token.kind) {
      case '}': {
        if (isRoot) throw lexer.error('unexpected "}"', lexer.currentLine)
        return {items, close: token}
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
  const {raw, newlines} = lexer.head()
  const end = lexer.next()
  if (!end) throw lexer.error(`unexpected end of file, expecting ";" or "{" after "${wordValue(name.raw)}"`, lexer.currentLine)
  if (end.kind === '}') throw lexer.error(`unexpected "}" in "${wordValue(name.raw)}", expecting ";"`, lexer.currentLine)
  const d = new Directive(name.raw, raw, end, newlines)
  if (end.kind === '{') {
    if (d.nameValue.endsWith('_by_lua_block')) {
      const body = lexer.luaBody()
      const close = lexer.next() as Token
      d.block = {items: body.raw === '' ? [] : [body], close}
    } else d.block = parseBlock(lexer, false)
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

/**
 * Every directive in file order with its line and its enclosing directives;
 * with `keep`, only those it accepts (lines are counted all the same), so an
 * edit of one upstream does not build a record for each of 10k servers.
 */
export function walk(doc: NginxDocument, keep?: (d: Directive, parents: Directive[]) => boolean): Visit[] {
  const visits: Visit[] = []
  let line = 1
  const count = (t: Token): void => {
    if (t.kind === 'nl') line++
    else if (t.kind === 'word' || t.kind === 'raw') for (let i = t.raw.indexOf('\n'); i >= 0; i = t.raw.indexOf('\n', i + 1)) line++
  }
  const visitBlock = (block: Block, parents: Directive[]): void => {
    for (const node of block.items) {
      if (!isDirective(node)) {
        count(node)
        continue
      }
      if (!keep || keep(node, parents)) visits.push({directive: node, line, parents, container: block})
      line += node.newlines
      if (node.block) {
        visitBlock(node.block, [...parents, node])
      }
    }
  }
  visitBlock(doc.root, [])
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
