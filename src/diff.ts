import {diffArrays, formatPatch} from 'diff'

/** Past this many differing lines, the minimal (Myers) diff costs seconds to minutes: a 10k-server sync took 37 s. */
const MYERS_LIMIT = 2000
const CONTEXT = 3

/** A unified diff of two versions of a file; empty when they are equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return ''
  const a = lineTokens(before)
  const b = lineTokens(after)
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  if (a.length + b.length - 2 * (head + tail) > MYERS_LIMIT) return anchoredDiff(file, a, b)
  // Only the lines between the common head and tail go through the minimal diff: an edit of a
  // 10k-line file is a few lines, and diffing all of it cost more than the rest of the command.
  const changes: Change[] = head > 0 ? [{lines: a.slice(0, head)}] : []
  for (const c of diffArrays(a.slice(head, a.length - tail), b.slice(head, b.length - tail))) {
    changes.push({lines: c.value, ...(c.added ? {added: true} : c.removed ? {removed: true} : {})})
  }
  if (tail > 0) changes.push({lines: a.slice(a.length - tail)})
  return patchOf(file, changes)
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
    oldLine += lines.length
    newLine += lines.length
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
