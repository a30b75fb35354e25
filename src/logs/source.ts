/**
 * Records read one at a time from a log's text, so a merge of large files
 * holds only each file's head (and a short reordering window), not every
 * record: records die young and the garbage collector stays cheap.
 */
import type {AccessRecord, LineParser} from './record.js'

export interface RecordSource {
  /** The next record, or undefined when the source is exhausted. */
  next(): AccessRecord | undefined
}

/** Lines that are not access-log lines, kept for `-v`: counted always, the first ones kept. */
export class Unparsed {
  count = 0
  readonly lines: {proxy: string; line: string}[] = []

  constructor(private readonly keep = 20) {}

  add(proxy: string, line: string): void {
    this.count++
    if (this.lines.length < this.keep) this.lines.push({proxy, line})
  }
}

/** The records of one log's text, in file order; blank lines are skipped, others that do not parse are counted. */
export class TextSource implements RecordSource {
  private at = 0

  constructor(
    private readonly text: string,
    private readonly parse: LineParser,
    private readonly proxy: string,
    private readonly unparsed: Unparsed,
  ) {}

  next(): AccessRecord | undefined {
    const {text} = this
    const range = this.parse.range
    while (this.at < text.length) {
      let end = text.indexOf('\n', this.at)
      if (end < 0) end = text.length
      const start = this.at
      const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end
      this.at = end + 1
      if (lineEnd === start) continue
      if (range) {
        const record = range(text, start, lineEnd)
        if (record) {
          record.proxy = this.proxy
          return record
        }
        this.unparsed.add(this.proxy, text.slice(start, lineEnd))
        continue
      }
      const line = text.slice(start, lineEnd)
      const record = this.parse(line)
      if (record) {
        record.proxy = this.proxy
        return record
      }
      this.unparsed.add(this.proxy, line)
    }
    return undefined
  }
}

/**
 * A proxy writes a request's line when the request ends, stamped with when it
 * began, so a file is only nearly in time order. This puts a source in order
 * for records out of place by up to `windowMs`; one later than that comes out
 * where it stands and is counted in `late` (never dropped).
 */
export class WindowedSource implements RecordSource {
  // Held records in time order. Input is nearly sorted, so an insertion from the tail is O(1) almost always: cheaper than a heap.
  private held: AccessRecord[] = []
  private first = 0
  private newest = Number.NEGATIVE_INFINITY
  private emitted = Number.NEGATIVE_INFINITY
  private done = false
  late = 0

  constructor(
    private readonly inner: RecordSource,
    private readonly windowMs: number,
  ) {}

  next(): AccessRecord | undefined {
    for (;;) {
      if (this.first < this.held.length && (this.done || this.held[this.first].time <= this.newest - this.windowMs)) return this.take()
      if (this.done) return undefined
      const record = this.inner.next()
      if (!record) {
        this.done = true
        continue
      }
      if (record.time < this.emitted) {
        this.late++
        return record
      }
      if (record.time > this.newest) this.newest = record.time
      this.insert(record)
    }
  }

  private insert(record: AccessRecord): void {
    const {held} = this
    let i = held.length
    // After equal times: a file's order is kept among records of one millisecond.
    while (i > this.first && held[i - 1].time > record.time) i--
    held.push(record)
    // Move the few later records up by hand: splice() costs more than the moves for a record a few places from the end.
    for (let j = held.length - 1; j > i; j--) held[j] = held[j - 1]
    held[i] = record
  }

  private take(): AccessRecord {
    const record = this.held[this.first]
    // Let go of it now: a slot kept until compaction outlives the young generation and makes old-generation garbage.
    this.held[this.first++] = undefined as unknown as AccessRecord
    if (this.first > 4096 && this.first * 2 > this.held.length) {
      this.held = this.held.slice(this.first)
      this.first = 0
    }
    this.emitted = record.time
    return record
  }
}

/**
 * k-way merge by time: earliest head first, ties in the sources' order. Every
 * record reaches `emit` once. A scan of the heads' times, kept unboxed in a
 * typed array, rather than a heap: a tier has a handful of proxies, and for
 * so few a scan costs less than a heap's sifts and comparator calls.
 */
export function mergeSources(sources: readonly RecordSource[], emit: (record: AccessRecord) => void): void {
  const heads = sources.map((s) => s.next())
  const times = Float64Array.from(heads, (r) => (r ? r.time : Number.POSITIVE_INFINITY))
  for (;;) {
    // The earliest head; `<` keeps the first source among equal times.
    let best = -1
    let bestTime = Number.POSITIVE_INFINITY
    for (let i = 0; i < times.length; i++) {
      if (times[i] < bestTime || (best < 0 && heads[i] !== undefined)) {
        best = i
        bestTime = times[i]
      }
    }
    if (best < 0) return
    emit(heads[best] as AccessRecord)
    const record = sources[best].next()
    heads[best] = record
    times[best] = record ? record.time : Number.POSITIVE_INFINITY
  }
}
