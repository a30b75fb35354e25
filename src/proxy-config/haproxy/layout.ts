/**
 * Where new lines go and how they look: copied from their neighbours
 * (indentation, the blanks between words), never from a house style.
 */
import type {HaproxyDocument, Section} from './document.js'
import {withEol} from './lexer.js'

/** The indentation the file uses for directives: that of its first indented directive, else four spaces. */
export function fileIndent(doc: HaproxyDocument): string {
  for (const line of doc.lines) if (line.indent && line.words.length > 0) return line.indent
  return '    '
}

/** The last line of a section that holds a directive (its header when there is none). */
export function lastDirective(doc: HaproxyDocument, section: Section): number {
  for (let i = section.end - 1; i > section.header; i--) if (doc.lines[i].words.length > 0) return i
  return section.header
}

/** Indentation for a line placed near `anchor`: the anchor's own unless it is a header or unindented. */
export function indentNear(doc: HaproxyDocument, section: Section, anchor: number): string {
  const own = doc.lines[anchor]?.indent
  if (anchor !== section.header && own) return own
  for (let i = section.header + 1; i < section.end; i++) if (doc.lines[i].words.length > 0) return doc.lines[i].indent
  return fileIndent(doc)
}

/**
 * Append a new section at the end of the file, after a blank line. A file
 * without a final newline gets one first: that is the one line this touches.
 */
export function appendSection(doc: HaproxyDocument, header: string, body: string[]): Section {
  let at = doc.lines.length - 1
  if (at >= 0 && doc.lines[at].eol === '') {
    // withEol, not a spread: a line not yet lexed reads its words through its class.
    doc.lines[at] = withEol(doc.lines[at], doc.eol)
  }
  if (at >= 0 && doc.lines[at].text.trim() !== '') at = doc.insertAfter(at, '')
  at = doc.insertAfter(at, header)
  const indent = fileIndent(doc)
  for (const text of body) at = doc.insertAfter(at, indent + text)
  return doc.sections().at(-1)!
}
