/**
 * Output lines gathered into one buffer and handed on in large chunks: a
 * write per line, or one growing string, costs more than parsing the line.
 */
export class LineBuffer {
  private readonly buffer: Buffer
  private used = 0

  /** `sink` gets a view of the buffer that is valid only during the call: copy it to keep it. */
  constructor(
    private readonly sink: (chunk: Buffer) => void,
    size = 1 << 16,
  ) {
    this.buffer = Buffer.allocUnsafe(size)
  }

  line(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = text.length * 3 + 1
    if (this.used + most > this.buffer.length) {
      this.flush()
      if (most > this.buffer.length) {
        this.sink(Buffer.from(`${text}\n`))
        return
      }
    }
    this.used += this.buffer.write(text, this.used, 'utf8')
    this.buffer[this.used++] = 10
  }

  flush(): void {
    if (this.used === 0) return
    this.sink(this.buffer.subarray(0, this.used))
    this.used = 0
  }
}
