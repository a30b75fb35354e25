/**
 * A line-oriented document for the line-based formats (pound, perlbal): the
 * file is its lines, each with its own line ending, so joining them gives
 * back the input; an edit inserts, removes or rewrites whole lines.
 */
import type {ConfigDocument, EngineName} from './engine.js'

export interface Line {
  text: string
  /** `\n`, `\r\n`, or '' for a last line without one. */
  eol: string
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = []
  let start = 0
  while (start < text.length) {
    const nl = text.indexOf('\n', start)
    if (nl < 0) {
      lines.push({text: text.slice(start), eol: ''})
      break
    }
    const cr = nl > start && text.charCodeAt(nl - 1) === 0x0d
    lines.push({text: text.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n'})
    start = nl + 1
  }
  return lines
}

export function joinLines(lines: Line[]): string {
  let out = ''
  for (const line of lines) out += line.text + line.eol
  return out
}

export function dominantEol(lines: Line[]): string {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n'
}

export function indentation(text: string): string {
  return /^[ \t]*/.exec(text)?.[0] ?? ''
}

/**
 * Insert lines after index `after` (-1: at the top). When that line is the
 * last one and has no line ending, it gets one and the last new line goes
 * without, so the file keeps "no final newline".
 */
export function insertLines(lines: Line[], after: number, texts: string[], eol: string): void {
  if (texts.length === 0) return
  const added = texts.map((text) => ({text, eol}))
  const previous = lines[after]
  if (previous && previous.eol === '' && after === lines.length - 1) {
    previous.eol = eol
    added[added.length - 1].eol = ''
  }
  lines.splice(after + 1, 0, ...added)
}

/** Remove `count` lines from `index`, undoing what insertLines did to a missing final newline. */
export function removeLines(lines: Line[], index: number, count: number): void {
  const last = index + count === lines.length
  const lostEol = lines[index + count - 1]?.eol === ''
  lines.splice(index, count)
  if (last && lostEol && index > 0) lines[index - 1].eol = ''
}

/** A document that is its lines: serializing joins them back. */
export abstract class LineDocument implements ConfigDocument {
  abstract readonly engine: EngineName

  constructor(
    readonly file: string,
    readonly lines: Line[],
  ) {}

  serialize(): string {
    return joinLines(this.lines)
  }

  eol(): string {
    return dominantEol(this.lines)
  }
}
