/**
 * Output lines gathered into one buffer and handed on in large chunks of
 * whole lines: a write per line, or one growing string, costs more than
 * parsing the line. A line can be given whole (`line`) or built in place
 * piece by piece (`text`, `quoted`, `int`, `byte`, then `end`), which spares
 * the strings a formatted line would otherwise be made of.
 */
export class LineBuffer {
  private buffer: Buffer
  private used = 0
  /** Where the line being built began. */
  private start = 0

  /** `sink` gets a view of the buffer that is valid only during the call: copy it to keep it. */
  constructor(
    private readonly sink: (chunk: Buffer) => void,
    size = 1 << 16,
  ) {
    this.buffer = Buffer.allocUnsafe(size)
  }

  line(text: string): void {
    this.text(text)
    this.end()
  }

  /** Append a piece of the current line, UTF-8 encoded. */
  text(text: string): void {
    this.textRange(text, 0, text.length)
  }

  /** Append the piece of `text` at [from, to), as `text(text.slice(from, to))` would, without making the slice. */
  textRange(text: string, from: number, to: number): void {
    const length = to - from
    if (length <= 0) return
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.used + length * 3 > this.buffer.length) this.room(length * 3)
    const b = this.buffer
    let at = this.used
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i)
      if (c < 0x80) b[at++] = c
      else {
        // The rest (rare in access logs) through Buffer's own encoder, which pairs surrogates.
        at += b.write(text.slice(i, to), at, 'utf8')
        break
      }
    }
    this.used = at
  }

  /** Append a piece in Apache's quoting: `"` and `\` get a backslash. */
  quoted(text: string): void {
    this.quotedRange(text, 0, text.length)
  }

  /** `quoted(text.slice(from, to))` without making the slice. */
  quotedRange(text: string, from: number, to: number): void {
    const length = to - from
    if (length <= 0) return
    if (this.used + length * 3 > this.buffer.length) this.room(length * 3)
    const b = this.buffer
    let at = this.used
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i)
      if (c < 0x80 && c !== 34 && c !== 92) b[at++] = c
      else {
        this.used = at
        this.text(text.slice(i, to).replace(/["\\]/g, '\\$&'))
        return
      }
    }
    this.used = at
  }

  /** Append bytes already encoded. */
  bytes(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buffer.length) this.room(bytes.length)
    // One native copy: a loop over the bytes costs more even for the ~30 of a date stamp.
    this.buffer.set(bytes, this.used)
    this.used += bytes.length
  }

  /** Append a whole number in decimal. */
  int(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      this.text(String(n))
      return
    }
    if (this.used + 16 > this.buffer.length) this.room(16)
    const b = this.buffer
    let digits = 1
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++
    let at = this.used + digits
    this.used = at
    let m = n
    do {
      b[--at] = 48 + (m % 10)
      m = Math.floor(m / 10)
    } while (m > 0)
  }

  byte(c: number): void {
    if (this.used + 1 > this.buffer.length) this.room(1)
    this.buffer[this.used++] = c
  }

  /** End the current line. */
  end(): void {
    this.byte(10)
    this.start = this.used
  }

  /** Hand on every whole line; a line still being built stays. */
  flush(): void {
    if (this.start === 0) return
    this.sink(this.buffer.subarray(0, this.start))
    this.buffer.copyWithin(0, this.start, this.used)
    this.used -= this.start
    this.start = 0
  }

  /** Make room for `bytes` more: hand on the whole lines, and grow when one line outgrows the buffer. */
  private room(bytes: number): void {
    this.flush()
    if (this.used + bytes + 1 <= this.buffer.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + bytes + 1))
    this.buffer.copy(bigger, 0, 0, this.used)
    this.buffer = bigger
  }
}
