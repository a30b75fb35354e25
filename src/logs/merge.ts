/**
 * `--follow`'s reordering window and the heap under it: records held back
 * for a bounded window so a line that arrives a little late from one proxy
 * still takes its place. (The k-way merge of whole files, ./source.ts, scans
 * its few heads instead.)
 */
import type {AccessRecord} from './record.js'

/** A min-heap ordered by `before`. */
export class Heap<T> {
  private readonly items: T[] = []

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const a = this.items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(a[i], a[parent])) break
      ;[a[i], a[parent]] = [a[parent], a[i]]
      i = parent
    }
  }

  pop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      this.siftDown(0)
    }
    return top
  }

  private siftDown(from: number): void {
    const a = this.items
    const n = a.length
    let i = from
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) return
      const r = l + 1
      const c = r < n && this.before(a[r], a[l]) ? r : l
      if (!this.before(a[c], a[i])) return
      ;[a[i], a[c]] = [a[c], a[i]]
      i = c
    }
  }
}

/**
 * For `--follow`: records go in as they are read from any proxy; a record
 * comes out once it is older than the newest seen (or the clock) by
 * `windowMs`, so lines up to that late still come out in order. A record
 * older than one already emitted comes out at once (never dropped, counted
 * as late).
 */
export class ReorderWindow {
  private readonly heap = new Heap<{record: AccessRecord; seq: number}>((a, b) => a.record.time < b.record.time || (a.record.time === b.record.time && a.seq < b.seq))
  private seq = 0
  private emitted = Number.NEGATIVE_INFINITY
  late = 0

  constructor(
    private readonly windowMs: number,
    private readonly emit: (record: AccessRecord) => void,
  ) {}

  push(record: AccessRecord): void {
    if (record.time < this.emitted) {
      this.late++
      this.emit(record)
      return
    }
    this.heap.push({record, seq: this.seq++})
  }

  /** Emit everything older than `now - windowMs`. */
  release(now: number): void {
    const cutoff = now - this.windowMs
    while (this.heap.size > 0 && (this.heap.peek() as {record: AccessRecord}).record.time <= cutoff) {
      const {record} = this.heap.pop() as {record: AccessRecord}
      this.emitted = record.time
      this.emit(record)
    }
  }

  /** Emit all that is held (at the end of the stream). */
  flush(): void {
    this.release(Number.POSITIVE_INFINITY)
  }
}
