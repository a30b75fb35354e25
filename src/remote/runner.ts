/**
 * One shell on a host, started under the host's rollout lock, that runs the
 * rollout's commands one after another. Every command over SSH otherwise
 * opens a channel and starts the user's login shell (which sources its rc
 * files: 0.15 s of CPU each on some hosts) and costs two round trips more;
 * through the runner a command costs one line each way, and it runs while
 * the lock is held by construction.
 *
 * Protocol: the shell is given a marker (random per session) and prints
 * `MARKER locked`; then it reads one command per line, written as printf
 * `%b` octal escapes so any text fits on one line and no byte needs quoting.
 * The command's stdout and stderr go straight to the channel's two streams,
 * each followed by a newline and the marker (with the exit code on stdout):
 * no temp files, no process per result. A line starting with `&` runs only
 * if the command before it succeeded, else is answered `MARKER skipped`: a
 * chain of steps goes out in one write and costs one round trip, yet stops
 * at the first failure. A line starting with `<` (after any `&`) keeps the
 * runner's input as the command's stdin: its payload follows the line, and
 * the command reads exactly that many bytes (`head -c N`), so the config
 * travels through the held shell instead of a channel of its own.
 */
import {randomBytes} from 'node:crypto'

import {quoteArgv} from './quote.js'
import {TransportTimeoutError, type ExecResult, type HeldCommand, type Transport} from './transport.js'

/** POSIX sh (dash, busybox), builtins only; `$1` is the marker. */
export const RUNNER_SCRIPT = [
  'm=$1 ok=0',
  `printf '%s locked\\n' "$m"; printf '%s\\n' "$m" >&2`,
  'while IFS= read -r line; do',
  '  case $line in',
  `    '&'*) line=\${line#?}; if [ "$ok" != 0 ]; then printf '\\n%s skipped\\n' "$m"; printf '\\n%s\\n' "$m" >&2; continue; fi ;;`,
  '  esac',
  '  case $line in',
  `    '<'*) (eval "$(printf '%b' "\${line#?}")") ;;`,
  `    *) (eval "$(printf '%b' "$line")") </dev/null ;;`,
  '  esac',
  '  ok=$?',
  `  printf '\\n%s %s\\n' "$m" "$ok"; printf '\\n%s\\n' "$m" >&2`,
  'done',
].join('\n')

const PLAIN_BYTE = /[\w ./,:=@%+-]/

/** A command line as one line of printf `%b` text: bytes other than plain ones as `\0ooo`. */
export function encodeLine(command: string): string {
  let out = ''
  for (const byte of Buffer.from(command, 'utf8')) {
    const c = String.fromCodePoint(byte)
    out += byte < 0x80 && PLAIN_BYTE.test(c) ? c : `\\0${byte.toString(8).padStart(3, '0')}`
  }
  return out
}

/** What a command in a chain gave: its result, or undefined when an earlier one failed and it did not run. */
export type ChainResult = ExecResult | undefined

interface Pending {
  name: string
  onLine?: (line: string) => void
  timeoutMs?: number
  resolve: (result: ChainResult) => void
  reject: (error: Error) => void
  timer?: NodeJS.Timeout
}

/** One of the runner's two output streams, cut into the frames the marker ends. */
class Frames {
  private buffer: Buffer = Buffer.alloc(0)
  private started = false
  /** Bytes at the start of `buffer` already handed to `onLine`. */
  private seen = 0
  readonly frames: {body: Buffer; tail: string}[] = []

  constructor(
    /** What the runner prints once, when it starts; anything before it (a login shell's chatter) is passed over. */
    private readonly start: Buffer,
    /** What ends each frame; `tail` is the rest of that line. */
    private readonly end: Buffer,
    /** Each whole line of the frame being written, as it comes (a long command's progress). */
    private readonly onLine?: (line: string) => void,
  ) {}

  /** Hand over the whole lines in buffer[seen, upto). */
  private lines(upto: number): void {
    if (!this.onLine) return
    for (;;) {
      const nl = this.buffer.indexOf(0x0a, this.seen)
      if (nl < 0 || nl >= upto) return
      const line = this.buffer.subarray(this.seen, nl).toString('utf8')
      this.seen = nl + 1
      if (line !== '') this.onLine(line)
    }
  }

  /** Whether the start line has been seen. */
  push(chunk: Buffer): boolean {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    if (!this.started) {
      const at = this.buffer.indexOf(this.start)
      if (at < 0) return false
      this.started = true
      this.buffer = this.buffer.subarray(at + this.start.length)
    }
    for (;;) {
      const at = this.buffer.indexOf(this.end)
      if (at < 0) break
      const nl = this.buffer.indexOf(0x0a, at + this.end.length)
      if (nl < 0) break
      this.lines(at + 1)
      this.frames.push({body: this.buffer.subarray(0, at), tail: this.buffer.subarray(at + this.end.length, nl).toString('latin1')})
      this.buffer = this.buffer.subarray(nl + 1)
      this.seen = 0
    }
    // A whole line left here is body: the frame's end is a newline and the marker, and a whole one was cut off above.
    this.lines(this.buffer.length)
    return true
  }
}

/** Pairs the runner's stdout and stderr frames into one result per command. */
export class RunnerParser {
  private readonly out: Frames
  private readonly err: Frames
  private locked = false

  constructor(
    marker: string,
    private readonly onLocked: () => void,
    private readonly onResult: (result: ChainResult) => void,
    /** Each whole stdout line of the running command as it comes. */
    onLine?: (line: string) => void,
  ) {
    this.out = new Frames(Buffer.from(`${marker} locked\n`), Buffer.from(`\n${marker}`), onLine)
    this.err = new Frames(Buffer.from(`${marker}\n`), Buffer.from(`\n${marker}`))
  }

  stdout(chunk: Buffer): void {
    if (this.out.push(chunk) && !this.locked) {
      this.locked = true
      this.onLocked()
    }
    this.emit()
  }

  stderr(chunk: Buffer): void {
    this.err.push(chunk)
    this.emit()
  }

  private emit(): void {
    while (this.out.frames.length > 0 && this.err.frames.length > 0) {
      const out = this.out.frames.shift() as {body: Buffer; tail: string}
      const err = this.err.frames.shift() as {body: Buffer; tail: string}
      const tail = out.tail.trim()
      if (tail === 'skipped') this.onResult(undefined)
      else if (/^\d+$/.test(tail)) this.onResult({code: Number(tail), stdout: out.body.toString('utf8'), stderr: err.body.toString('utf8')})
      else throw new Error(`unexpected output from the host's command runner: ${tail.slice(0, 200)}`)
    }
  }
}

export class Runner {
  /** Resolves once the lock is held; rejects with the lock command's result when it exits first (75: busy). */
  readonly ready: Promise<void>
  private readonly held: HeldCommand
  private readonly queue: Pending[] = []
  /** After a command timed out, the shell is stuck behind it: later commands open their own channel. */
  private broken = false
  /** Set once the shell has exited (the connection dropped, or it was killed): later commands fail at once. */
  private gone?: Error

  constructor(
    private readonly transport: Transport,
    /** The lock command, to be followed by `sh -c RUNNER_SCRIPT`. */
    lockArgv: readonly string[],
    private readonly timeoutMs = transport.commandTimeoutMs,
  ) {
    let locked!: () => void
    const lockHeld = new Promise<void>((resolve) => (locked = resolve))
    const marker = `@hactl-${randomBytes(12).toString('hex')}`
    const parser = new RunnerParser(
      marker,
      locked,
      (result) => this.settle(result),
      (line) => this.queue[0]?.onLine?.(line),
    )
    const guarded =
      (read: (chunk: Buffer) => void) =>
      (chunk: Buffer): void => {
        try {
          read(chunk)
        } catch (error) {
          this.fail(error as Error)
        }
      }
    this.held = transport.hold([...lockArgv, 'sh', '-c', RUNNER_SCRIPT, 'sh', marker], {
      stdout: guarded((c) => parser.stdout(c)),
      stderr: guarded((c) => parser.stderr(c)),
    })
    const exited = this.held.exited.then((result) => {
      this.gone = new Error(`the command runner on ${transport.host} exited (code ${result.code}): ${(result.stderr || result.stdout).trim().slice(-500)}`)
      this.fail(this.gone)
      throw Object.assign(new Error(`exited with code ${result.code}`), {result})
    })
    this.ready = Promise.race([lockHeld, exited])
    this.ready.catch(() => undefined)
  }

  run(argv: readonly string[], timeoutMs = this.timeoutMs): Promise<ExecResult> {
    return this.chain([argv], timeoutMs)[0] as Promise<ExecResult>
  }

  /**
   * Run one command that reads `stdin` (exactly its length: the command
   * must consume every byte, or the rest is read as commands). Written at
   * once, even before the lock is held: the shell reads it once it is.
   * `onLine` sees each whole line of its stdout as it comes.
   */
  feed(argv: readonly string[], stdin: Buffer, options: {onLine?: (line: string) => void; timeoutMs?: number} = {}): Promise<ExecResult> {
    const {gone} = this
    if (gone || this.broken) return Promise.reject(gone ?? new Error(`the command runner on ${this.transport.host} is stuck behind a command that timed out`))
    const result = new Promise<ChainResult>((resolve, reject) => {
      this.queue.push({name: argv[0], timeoutMs: options.timeoutMs ?? this.timeoutMs, onLine: options.onLine, resolve, reject})
    })
    this.startTimer()
    this.held.write(Buffer.concat([Buffer.from(`<${encodeLine(quoteArgv(argv))}\n`), stdin]))
    return result as Promise<ExecResult>
  }

  /**
   * Run commands in order, each only if the one before succeeded, sent in
   * one write: one promise per command, resolving with its result, or with
   * undefined when it was skipped. Each command has `timeoutMs` of its own,
   * counted from when the one before it ended.
   */
  chain(argvs: readonly (readonly string[])[], timeoutMs = this.timeoutMs): Promise<ChainResult>[] {
    if (this.broken) return this.chainApart(argvs, timeoutMs)
    const {gone} = this
    const results = argvs.map(
      (argv) =>
        new Promise<ChainResult>((resolve, reject) => {
          if (gone) reject(gone)
          else this.queue.push({name: argv[0], timeoutMs, resolve, reject})
        }),
    )
    // Callers may stop reading at the first failure: the rest must not be unhandled rejections.
    for (const r of results) r.catch(() => undefined)
    if (gone) return results
    this.startTimer()
    this.held.write(argvs.map((argv, i) => `${i > 0 ? '&' : ''}${encodeLine(quoteArgv(argv))}\n`).join(''))
    return results
  }

  /** The chain one channel per command, once the shell is stuck behind a command that timed out. */
  private chainApart(argvs: readonly (readonly string[])[], timeoutMs: number | undefined): Promise<ChainResult>[] {
    let previous: Promise<ChainResult> = Promise.resolve({code: 0, stdout: '', stderr: ''})
    const results = argvs.map((argv) => {
      previous = previous.then((before) => (before?.code === 0 ? this.transport.exec(argv, {timeoutMs}) : undefined))
      return previous
    })
    for (const r of results) r.catch(() => undefined)
    return results
  }

  /** The command at the head of the queue is the one running: its clock starts now. */
  private startTimer(): void {
    const head = this.queue[0]
    if (!head || head.timer || head.timeoutMs === undefined) return
    head.timer = setTimeout(() => {
      this.broken = true
      this.fail(new TransportTimeoutError(`${head.name} timed out after ${head.timeoutMs} ms`))
    }, head.timeoutMs)
  }

  /**
   * Close the shell's input: it exits, and the lock goes with it. After a
   * timeout the shell still waits on the stuck command (which keeps the lock
   * until it ends: no other push starts while it runs), so this does not wait.
   */
  async end(): Promise<ExecResult> {
    const exited = this.held.end()
    return this.broken ? {code: 124, stdout: '', stderr: 'a command timed out; the host keeps its lock until that command ends'} : exited
  }

  private settle(result: ChainResult): void {
    if (this.broken) return
    const pending = this.queue.shift()
    if (!pending) return
    clearTimeout(pending.timer)
    pending.resolve(result)
    this.startTimer()
  }

  private fail(error: Error): void {
    for (const pending of this.queue.splice(0)) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
  }
}
