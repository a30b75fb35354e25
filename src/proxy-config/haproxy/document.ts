/**
 * An HAProxy config as a list of lexed lines grouped into sections. The lines
 * are the document: serializing joins their raw texts, and every edit is a
 * line inserted, removed or rewritten, so untouched bytes stay untouched.
 */
import {ConfigError, ConfigErrors} from '../../errors.js'
import type {ConfigDocument} from '../engine.js'
import {firstWord, firstWordMayStartWith, joinLines, lexLine, lexSource, withEol, type Eol, type Line} from './lexer.js'

/** Keywords that open a section, wherever they are indented (as HAProxy reads them). */
export const SECTION_KINDS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'userlist',
  'peers',
  'resolvers',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'log-forward',
  'crt-store',
  'traces',
])

/** The first characters of the section keywords: the other lines are passed over without reading their first word. */
const SECTION_INITIALS = new Set([...SECTION_KINDS].map((kind) => kind.charCodeAt(0)))

/** Sections where `server` lines are refused by HAProxy (peers and ring have servers of their own). */
const NO_SERVERS = new Set(['', 'global', 'defaults', 'frontend'])

export interface Section {
  /** `''` for the lines before the first section. */
  kind: string
  name: string
  /** Index of the header line; -1 for the preamble. */
  header: number
  /** Index one past the section's last line. */
  end: number
}

export class HaproxyDocument implements ConfigDocument {
  readonly engine = 'haproxy' as const
  private cached?: Section[]

  constructor(
    readonly file: string,
    readonly lines: Line[],
    /** The text the lines were read from, when parsed: serializing copies unchanged runs of lines from it. */
    private readonly source?: string,
  ) {}

  static parse(text: string, file: string): HaproxyDocument {
    const {lines, candidates} = lexSource(text, file, SECTION_INITIALS)
    const doc = new HaproxyDocument(file, lines, text)
    // The lexer found the lines a section may start at: the rest need no second look.
    doc.cached = doc.sectionsAmong(candidates)
    doc.check()
    return doc
  }

  serialize(): string {
    return joinLines(this.lines, this.source)
  }

  sections(): Section[] {
    if (this.cached) return this.cached
    const indexes: number[] = []
    const {lines} = this
    for (let i = 0; i < lines.length; i++) if (firstWordMayStartWith(lines[i], SECTION_INITIALS)) indexes.push(i)
    this.cached = this.sectionsAmong(indexes)
    return this.cached
  }

  /** The sections whose headers are among these line indexes (ascending); the other lines cannot be headers. */
  private sectionsAmong(indexes: readonly number[]): Section[] {
    const out: Section[] = [{kind: '', name: '', header: -1, end: 0}]
    const {lines} = this
    for (const i of indexes) {
      const first = firstWord(lines[i])
      if (first !== undefined && SECTION_KINDS.has(first)) {
        out.at(-1)!.end = i
        out.push({kind: first, name: lines[i].words[1]?.value ?? '', header: i, end: lines.length})
      }
    }
    out.at(-1)!.end = lines.length
    return out
  }

  /** The first section of one of `kinds` with this name. */
  find(kinds: readonly string[], name: string): Section | undefined {
    return this.sections().find((s) => kinds.includes(s.kind) && s.name === name)
  }

  /** Line indexes in a section (header excluded) whose first word is `keyword`. */
  directives(section: Section, keyword: string): number[] {
    const out: number[] = []
    for (let i = section.header + 1; i < section.end; i++) if (firstWord(this.lines[i]) === keyword) out.push(i)
    return out
  }

  /** The line ending most of the file uses (that of its first line with one). */
  get eol(): Exclude<Eol, ''> {
    for (const line of this.lines) if (line.eol) return line.eol
    return '\n'
  }

  /**
   * Insert a line after line `after` (-1: at the top). It takes the anchor's
   * line ending; when the anchor is the last line and has none, the anchor
   * gets one and the new line inherits the missing final newline, so removing
   * the new line restores the file byte for byte.
   */
  insertAfter(after: number, text: string): number {
    const anchor = this.lines[after] as Line | undefined
    let eol: Eol = anchor?.eol ?? this.eol
    if (anchor && anchor.eol === '') {
      this.lines[after] = withEol(anchor, this.eol)
      eol = ''
    }
    this.lines.splice(after + 1, 0, lexLine(text, eol))
    this.cached = undefined
    return after + 1
  }

  /**
   * Insert lines after line `after`, in one splice: the same bytes as
   * inserting them one by one, each after the one before (a missing final
   * newline moves to the last new line).
   */
  insertManyAfter(after: number, texts: readonly string[]): number[] {
    if (texts.length === 0) return []
    const anchor = this.lines[after] as Line | undefined
    let eol: Eol = anchor?.eol ?? this.eol
    let lastEol: Eol = eol
    if (anchor && anchor.eol === '') {
      this.lines[after] = withEol(anchor, this.eol)
      eol = this.eol
      lastEol = ''
    }
    const lines = texts.map((text, k) => lexLine(text, k === texts.length - 1 ? lastEol : eol))
    // Spread in chunks: one call with 10k arguments can overflow the stack.
    for (let k = 0; k < lines.length; k += 4096) this.lines.splice(after + 1 + k, 0, ...lines.slice(k, k + 4096))
    this.cached = undefined
    return texts.map((_, k) => after + 1 + k)
  }

  /** Remove many lines in one pass; the same bytes as removing them one by one. */
  removeMany(indexes: ReadonlySet<number>): void {
    if (indexes.size === 0) return
    const last = this.lines.length - 1
    const lostFinalEol = indexes.has(last) && this.lines[last].eol === ''
    const kept = this.lines.filter((_, i) => !indexes.has(i))
    if (lostFinalEol && kept.length > 0) kept[kept.length - 1] = withEol(kept.at(-1)!, '')
    this.lines.length = 0
    for (let k = 0; k < kept.length; k += 4096) this.lines.push(...kept.slice(k, k + 4096))
    this.cached = undefined
  }

  /** Remove a line; a removed last line without a line ending passes that on to the line before. */
  remove(index: number): void {
    const [gone] = this.lines.splice(index, 1)
    if (gone.eol === '' && index === this.lines.length && index > 0) this.lines[index - 1] = withEol(this.lines[index - 1], '')
    this.cached = undefined
  }

  /** Rewrite a line's text, keeping its line ending. */
  replace(index: number, text: string): void {
    this.lines[index] = lexLine(text, this.lines[index].eol)
    this.cached = undefined
  }

  private check(): void {
    const problems: ConfigError[] = []
    for (const section of this.sections()) {
      if (!NO_SERVERS.has(section.kind)) continue
      for (const i of [...this.directives(section, 'server'), ...this.directives(section, 'server-template')]) {
        const where = section.kind ? `a ${section.kind} section` : 'no section'
        problems.push(
          new ConfigError(`'${this.lines[i].words[0].value}' is only allowed in a backend or listen section, not in ${where}`, {file: this.file, line: i + 1, col: this.lines[i].words[0].start + 1}, {
            actions: ['Move the line under a `backend NAME` or `listen NAME` header.'],
          }),
        )
      }
    }
    if (problems.length === 1) throw problems[0]
    if (problems.length > 1) throw new ConfigErrors(problems.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0)))
  }
}
