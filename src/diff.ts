import {diffArrays, formatPatch} from 'diff'

/** Past this many differing lines, the minimal (Myers) diff costs seconds to minutes: a 10k-server sync took 37 s. */
const MYERS_LIMIT = 2000
const CONTEXT = 3
/** Characters compared at once when looking for the common head and tail. */
const BLOCK = 1024

/** A unified diff of two versions of a file; empty when they are equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return ''
  // The common head and tail are found on the text, not on its lines: an edit of a 10k-line
  // file is a few lines, and splitting all of it into lines cost more than the rest of the
  // command. Only the lines between them go through the minimal diff; of the head and the
  // tail only the context lines a hunk shows are kept.
  const [headEnd, tailLength] = commonHeadAndTail(before, after)
  const a = lineTokens(before.slice(headEnd, before.length - tailLength))
  const b = lineTokens(after.slice(headEnd, after.length - tailLength))
  if (a.length + b.length > MYERS_LIMIT) return anchoredDiff(file, before, after)
  const changes: Change[] = []
  if (headEnd > 0) {
    const head = lastLines(before, headEnd, CONTEXT)
    changes.push({lines: head, skipped: lineCount(before, headEnd) - head.length})
  }
  for (const c of diffArrays(a, b)) {
    changes.push({lines: c.value, ...(c.added ? {added: true} : c.removed ? {removed: true} : {})})
  }
  if (tailLength > 0) changes.push({lines: firstLines(before, before.length - tailLength, CONTEXT)})
  return patchOf(file, changes)
}

/**
 * Where the lines both texts start with end, and how long the lines both end
 * with are (in characters): the same split as comparing their lines, the tail
 * never overlapping the head.
 */
function commonHeadAndTail(a: string, b: string): [number, number] {
  const n = Math.min(a.length, b.length)
  // Whole blocks first: one native comparison each, where a loop over every character of a
  // 10k-line file runs in the interpreter in a process that lives for one command.
  let p = 0
  while (p + BLOCK <= n && a.slice(p, p + BLOCK) === b.slice(p, p + BLOCK)) p += BLOCK
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++
  // The line holding the first difference differs in both: the head ends where it starts.
  const headEnd = p === 0 ? 0 : a.lastIndexOf('\n', p - 1) + 1
  let q = 0
  const most = n - headEnd
  while (q + BLOCK <= most && a.slice(a.length - q - BLOCK, a.length - q) === b.slice(b.length - q - BLOCK, b.length - q)) q += BLOCK
  while (q < most && a.charCodeAt(a.length - 1 - q) === b.charCodeAt(b.length - 1 - q)) q++
  // The tail starts at a line start in both texts (inside the common part both agree on that).
  const lineStart = (text: string, at: number): boolean => at === headEnd || text.charCodeAt(at - 1) === 10
  while (q > 0 && !(lineStart(a, a.length - q) && lineStart(b, b.length - q))) {
    const nl = a.indexOf('\n', a.length - q)
    q = nl < 0 ? 0 : a.length - nl - 1
  }
  return [headEnd, q]
}

/** How many lines text.slice(0, end) holds, end being a line start. */
function lineCount(text: string, end: number): number {
  let count = 0
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < end; nl = text.indexOf('\n', nl + 1)) count++
  return count
}

/** The first `count` lines of text.slice(start), start being a line start. */
function firstLines(text: string, start: number, count: number): string[] {
  let end = start
  for (let i = 0; i < count && end < text.length; i++) {
    const nl = text.indexOf('\n', end)
    end = nl < 0 ? text.length : nl + 1
  }
  return lineTokens(text.slice(start, end))
}

/** The last `count` lines of text.slice(0, end), end being a line start. */
function lastLines(text: string, end: number, count: number): string[] {
  let start = end
  for (let i = 0; i < count && start > 0; i++) start = start < 2 ? 0 : text.lastIndexOf('\n', start - 2) + 1
  return lineTokens(text.slice(start, end))
}

/** The same unified diff, anchored on unique lines instead of minimal: for large changes (exported for its tests). */
export function anchoredDiff(file: string, before: string | string[], after: string | string[]): string {
  const a = typeof before === 'string' ? lineTokens(before) : before
  const b = typeof after === 'string' ? lineTokens(after) : after
  return patchOf(file, anchoredChanges(a, b))
}

function patchOf(file: string, changes: Change[]): string {
  return formatPatch({oldFileName: `a/${file}`, newFileName: `b/${file}`, oldHeader: undefined, newHeader: undefined, hunks: toHunks(changes)})
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .join('\n')
}

/** Lines with their line endings, as the diff library splits them (a lone `\r` stays inside its line). */
function lineTokens(text: string): string[] {
  const out: string[] = []
  let start = 0
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    out.push(text.slice(start, nl + 1))
    start = nl + 1
  }
  if (start < text.length) out.push(text.slice(start))
  return out
}

interface Change {
  lines: string[]
  /** Unchanged lines before `lines` left out (only the head's: a hunk shows the last few). */
  skipped?: number
  added?: boolean
  removed?: boolean
}

/**
 * A line diff anchored on lines that occur once in each version (patience
 * diff): near-linear for the big, regular changes of a sync (thousands of
 * server lines in and out), where a minimal diff is quadratic. Between
 * anchors, the same again; a stretch with no anchor is shown as removed then added.
 */
function anchoredChanges(a: readonly string[], b: readonly string[]): Change[] {
  const out: Change[] = []
  const emit = (kind: 'added' | 'removed' | 'same', lines: readonly string[]): void => {
    if (lines.length === 0) return
    const last = out.at(-1)
    const same = last && (kind === 'added' ? last.added : kind === 'removed' ? last.removed && !last.added : !last.added && !last.removed)
    if (same) {
      for (const l of lines) last.lines.push(l)
      return
    }
    out.push({lines: [...lines], ...(kind === 'same' ? {} : {[kind]: true})})
  }
  const walk = (a0: number, a1: number, b0: number, b1: number): void => {
    let head = 0
    while (a0 + head < a1 && b0 + head < b1 && a[a0 + head] === b[b0 + head]) head++
    emit('same', a.slice(a0, a0 + head))
    a0 += head
    b0 += head
    let tail = 0
    while (a1 - tail > a0 && b1 - tail > b0 && a[a1 - 1 - tail] === b[b1 - 1 - tail]) tail++
    a1 -= tail
    b1 -= tail
    const anchors = a0 < a1 && b0 < b1 ? uniqueAnchors(a, a0, a1, b, b0, b1) : []
    if (anchors.length === 0) {
      emit('removed', a.slice(a0, a1))
      emit('added', b.slice(b0, b1))
    } else {
      let [pa, pb] = [a0, b0]
      for (const [i, j] of anchors) {
        walk(pa, i, pb, j)
        emit('same', [a[i]])
        ;[pa, pb] = [i + 1, j + 1]
      }
      walk(pa, a1, pb, b1)
    }
    emit('same', a.slice(a1, a1 + tail))
  }
  walk(0, a.length, 0, b.length)
  return out
}

/** Pairs (i, j) of lines unique in both ranges, longest increasing run in both (patience sorting). */
function uniqueAnchors(a: readonly string[], a0: number, a1: number, b: readonly string[], b0: number, b1: number): [number, number][] {
  const count = new Map<string, {a: number; b: number; i: number; j: number}>()
  for (let i = a0; i < a1; i++) {
    const c = count.get(a[i])
    if (c) c.a++
    else count.set(a[i], {a: 1, b: 0, i, j: -1})
  }
  for (let j = b0; j < b1; j++) {
    const c = count.get(b[j])
    if (c) {
      c.b++
      c.j = j
    }
  }
  const pairs: [number, number][] = []
  for (const c of count.values()) if (c.a === 1 && c.b === 1) pairs.push([c.i, c.j])
  pairs.sort((x, y) => x[0] - y[0])
  // Longest increasing subsequence of j, in O(n log n).
  const tops: number[] = []
  const back: number[] = new Array(pairs.length)
  for (let k = 0; k < pairs.length; k++) {
    let [lo, hi] = [0, tops.length]
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (pairs[tops[mid]][1] < pairs[k][1]) lo = mid + 1
      else hi = mid
    }
    back[k] = lo > 0 ? tops[lo - 1] : -1
    tops[lo] = k
  }
  const run: [number, number][] = []
  for (let k = tops.at(-1) ?? -1; k >= 0; k = back[k]) run.push(pairs[k])
  return run.reverse()
}

/** Hunks with context, as the diff library builds them from its changes (same numbering, same end-of-file marker). */
function toHunks(changes: Change[]): {oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[]}[] {
  const diff: Change[] = [...changes, {lines: []}]
  const hunks: {oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[]}[] = []
  let [oldStart, newStart, oldLine, newLine] = [0, 0, 1, 1]
  let range: string[] = []
  for (let i = 0; i < diff.length; i++) {
    const {added, lines, removed} = diff[i]
    if (added || removed) {
      if (!oldStart) {
        ;[oldStart, newStart] = [oldLine, newLine]
        const prev = diff[i - 1]
        if (prev) {
          range = prev.lines.slice(-CONTEXT).map((l) => ` ${l}`)
          oldStart -= range.length
          newStart -= range.length
        }
      }
      for (const l of lines) range.push(`${added ? '+' : '-'}${l}`)
      if (added) newLine += lines.length
      else oldLine += lines.length
      continue
    }
    if (oldStart) {
      if (lines.length <= CONTEXT * 2 && i < diff.length - 2) {
        for (const l of lines) range.push(` ${l}`)
      } else {
        const size = Math.min(lines.length, CONTEXT)
        for (const l of lines.slice(0, size)) range.push(` ${l}`)
        hunks.push({oldStart, oldLines: oldLine - oldStart + size, newStart, newLines: newLine - newStart + size, lines: range})
        ;[oldStart, newStart, range] = [0, 0, []]
      }
    }
    oldLine += lines.length + (diff[i].skipped ?? 0)
    newLine += lines.length + (diff[i].skipped ?? 0)
  }
  for (const hunk of hunks) {
    const lines: string[] = []
    for (const l of hunk.lines) {
      if (l.endsWith('\n')) lines.push(l.slice(0, -1))
      else lines.push(l, '\\ No newline at end of file')
    }
    hunk.lines = lines
  }
  return hunks
}
