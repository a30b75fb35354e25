/**
 * pound's config: one statement a line, keywords case-insensitive, quoted
 * strings with `\` escapes, `#` comments, blocks closed by `End`. Both the
 * 2.x grammar (ListenHTTP/HTTPS, Service, BackEnd, Session, Emergency,
 * HeadRequire, URL) and 4.x (named `Backend "x"` definitions, `Use`,
 * Host/Path matching, Rewrite … Else … End, Match blocks). The lines are
 * kept verbatim; this module reads the block tree from them.
 */
import {ConfigError} from '../../errors.js'
import {LineDocument, splitLines} from '../lines.js'

export interface PoundWord {
  /** Unquoted, escapes resolved. */
  value: string
  start: number
  end: number
}

export interface Statement {
  index: number
  words: PoundWord[]
  /** Upper-cased keyword. */
  keyword: string
}

export interface PoundBlock extends Statement {
  /** Line index of its `End`. */
  endIndex: number
  statements: Statement[]
  blocks: PoundBlock[]
  parent?: PoundBlock
}

export class PoundDocument extends LineDocument {
  readonly engine = 'pound' as const
}

export function lineWords(text: string, file: string, line: number): PoundWord[] {
  const words: PoundWord[] = []
  let i = 0
  while (i < text.length) {
    const ch = text[i]
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++
      continue
    }
    if (ch === '#') break
    const start = i
    if (ch === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw new ConfigError('unterminated quoted string', {file, line}, {actions: [`Close the quote on ${file}:${line}.`]})
        const c = text[i]
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1]
          i += 2
          continue
        }
        if (c === '"') break
        value += c
        i++
      }
      i++
      words.push({value, start, end: i})
      continue
    }
    while (i < text.length && !' \t\r#'.includes(text[i])) i++
    words.push({value: text.slice(start, i), start, end: i})
  }
  return words
}

const ALWAYS_BLOCKS = new Set(['LISTENHTTP', 'LISTENHTTPS', 'SERVICE', 'BACKEND', 'EMERGENCY', 'SESSION', 'REWRITE', 'MATCH', 'COMBINEHEADERS'])
/** These open a block only when written alone (`Control` vs `Control "/socket"`). */
const BARE_BLOCKS = new Set(['CONTROL', 'RESOLVER', 'TRUSTEDIP'])

function opensBlock(keyword: string, words: PoundWord[], depth: number): boolean {
  if (ALWAYS_BLOCKS.has(keyword)) return true
  if (BARE_BLOCKS.has(keyword)) return words.length === 1
  if (keyword === 'ACL') return depth === 0 && words.length === 2
  if (keyword === 'NOT') return words[1]?.value.toUpperCase() === 'MATCH'
  return false
}

export interface PoundTree {
  /** The file itself as a block without keyword. */
  root: PoundBlock
  /** Every block, in file order. */
  blocks: PoundBlock[]
}

export function parsePoundTree(doc: PoundDocument): PoundTree {
  const root: PoundBlock = {index: -1, words: [], keyword: '', endIndex: doc.lines.length, statements: [], blocks: []}
  const blocks: PoundBlock[] = []
  const stack: PoundBlock[] = [root]
  doc.lines.forEach((line, index) => {
    const words = lineWords(line.text, doc.file, index + 1)
    if (words.length === 0) return
    const keyword = words[0].value.toUpperCase()
    const top = stack.at(-1) as PoundBlock
    if (keyword === 'END') {
      if (stack.length === 1) throw new ConfigError('End without a block to close', {file: doc.file, line: index + 1}, {actions: [`Remove the extra End at ${doc.file}:${index + 1} or open its block.`]})
      top.endIndex = index
      stack.pop()
      return
    }
    const statement: Statement = {index, words, keyword}
    if (opensBlock(keyword, words, stack.length - 1)) {
      const block: PoundBlock = {...statement, endIndex: -1, statements: [], blocks: [], parent: top}
      top.blocks.push(block)
      blocks.push(block)
      stack.push(block)
    } else top.statements.push(statement)
  })
  if (stack.length > 1) {
    const open = stack.at(-1) as PoundBlock
    throw new ConfigError(`${open.words[0].value} has no End`, {file: doc.file, line: open.index + 1}, {actions: [`Close the block opened at ${doc.file}:${open.index + 1} with End.`]})
  }
  return {root, blocks}
}

export function parsePound(text: string, file: string): PoundDocument {
  const doc = new PoundDocument(file, splitLines(text))
  parsePoundTree(doc)
  return doc
}
