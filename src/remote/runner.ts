/**
 * One shell on a host, started under the host's rollout lock, that runs the
 * rollout's commands one after another. Every command over SSH otherwise
 * opens a channel and starts the user's login shell (which sources its rc
 * files: 0.15 s of CPU each on some hosts) and costs two round trips more;
 * through the runner a command costs one line each way, and it runs while
 * the lock is held by construction.
 *
 * Protocol: the shell prints `locked`, then reads one command per line,
 * written as printf `%b` octal escapes so any text fits on one line and no
 * byte needs quoting, and answers each with `@hactl CODE OUT ERR` (byte
 * counts) followed by the command's stdout and stderr. A line starting with
 * `&` runs only if the command before it succeeded, else is answered
 * `@hactl skipped`: a chain of steps goes out in one write and costs one
 * round trip, yet stops at the first failure.
 */
import {quoteArgv} from './quote.js'
import {TransportTimeoutError, type ExecResult, type HeldCommand, type Transport} from './transport.js'

/** POSIX sh (dash, busybox): no bashisms, builtins and coreutils only. */
export const RUNNER_SCRIPT = [
  'o=$(mktemp) && e=$(mktemp) || exit 70',
  `trap 'rm -f "$o" "$e"' EXIT`,
  'ok=0',
  'echo locked',
  'while IFS= read -r line; do',
  '  case $line in',
  `    '&'*) line=\${line#?}; if [ "$ok" != 0 ]; then echo '@hactl skipped'; continue; fi ;;`,
  '  esac',
  `  (eval "$(printf '%b' "$line")") </dev/null >"$o" 2>"$e"`,
  '  ok=$?',
  `  printf '@hactl %s %s %s\\n' "$ok" "$(wc -c <"$o")" "$(wc -c <"$e")"`,
  '  cat "$o" "$e"',
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
  timeoutMs?: number
  resolve: (result: ChainResult) => void
  reject: (error: Error) => void
  timer?: NodeJS.Timeout
}

const HEADER = /^@hactl (\d+) +(\d+) +(\d+)$/

/** Splits the runner's stdout into its `locked` line and one result per command. */
export class RunnerParser {
  private buffer: Buffer = Buffer.alloc(0)
  private locked = false

  constructor(
    private readonly onLocked: () => void,
    private readonly onResult: (result: ChainResult) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    for (;;) {
      const nl = this.buffer.indexOf(0x0a)
      if (nl < 0) return
      const line = this.buffer.subarray(0, nl).toString('utf8')
      if (!this.locked) {
        this.buffer = this.buffer.subarray(nl + 1)
        // The lock line; anything a login shell printed before it (a motd, an rc file's echo) is passed over.
        if (line.trim() === 'locked') {
          this.locked = true
          this.onLocked()
        }
        continue
      }
      if (line === '@hactl skipped') {
        this.buffer = this.buffer.subarray(nl + 1)
        this.onResult(undefined)
        continue
      }
      const header = HEADER.exec(line)
      if (!header) throw new Error(`unexpected output from the host's command runner: ${line.slice(0, 200)}`)
      const [code, out, err] = [Number(header[1]), Number(header[2]), Number(header[3])]
      if (this.buffer.length < nl + 1 + out + err) return
      const body = this.buffer.subarray(nl + 1)
      this.onResult({code, stdout: body.subarray(0, out).toString('utf8'), stderr: body.subarray(out, out + err).toString('utf8')})
      this.buffer = body.subarray(out + err)
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

  constructor(
    private readonly transport: Transport,
    /** The lock command, to be followed by `sh -c RUNNER_SCRIPT`. */
    lockArgv: readonly string[],
    private readonly timeoutMs = transport.commandTimeoutMs,
  ) {
    let locked!: () => void
    const lockHeld = new Promise<void>((resolve) => (locked = resolve))
    const parser = new RunnerParser(locked, (result) => this.settle(result))
    this.held = transport.hold([...lockArgv, 'sh', '-c', RUNNER_SCRIPT], (chunk) => {
      try {
        parser.push(chunk)
      } catch (error) {
        this.fail(error as Error)
      }
    })
    const exited = this.held.exited.then((result) => {
      this.fail(new Error(`the command runner on ${transport.host} exited (code ${result.code}): ${(result.stderr || result.stdout).trim().slice(-500)}`))
      throw Object.assign(new Error(`exited with code ${result.code}`), {result})
    })
    this.ready = Promise.race([lockHeld, exited])
    this.ready.catch(() => undefined)
  }

  run(argv: readonly string[], timeoutMs = this.timeoutMs): Promise<ExecResult> {
    return this.chain([argv], timeoutMs)[0] as Promise<ExecResult>
  }

  /**
   * Run commands in order, each only if the one before succeeded, sent in
   * one write: one promise per command, resolving with its result, or with
   * undefined when it was skipped. Each command has `timeoutMs` of its own,
   * counted from when the one before it ended.
   */
  chain(argvs: readonly (readonly string[])[], timeoutMs = this.timeoutMs): Promise<ChainResult>[] {
    if (this.broken) return this.chainApart(argvs, timeoutMs)
    const results = argvs.map(
      (argv) =>
        new Promise<ChainResult>((resolve, reject) => {
          this.queue.push({name: argv[0], timeoutMs, resolve, reject})
        }),
    )
    // Callers may stop reading at the first failure: the rest must not be unhandled rejections.
    for (const r of results) r.catch(() => undefined)
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
