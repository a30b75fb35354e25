/**
 * Services never print. They emit events through a Reporter the command
 * passes in; the command decides where they go (stderr lines in CI, a live
 * view on a TTY, JSON lines in the monitor, nothing under --json).
 */
export type Level = 'debug' | 'error' | 'info' | 'warn'

export interface HactlEvent {
  level: Level
  /** Stable machine code, e.g. `rollout.upload`, `failover.associate`. */
  code: string
  message: string
  /** The host or target the event is about, when there is one. */
  subject?: string
  data?: Record<string, unknown>
}

export interface Reporter {
  emit(event: HactlEvent): void
}

export const silentReporter: Reporter = {emit() {}}

/** Collects events; for tests and for commands that return them under --json. */
export class MemoryReporter implements Reporter {
  readonly events: HactlEvent[] = []
  emit(event: HactlEvent): void {
    this.events.push(event)
  }
}

/** One plain line per event on a stream (stderr by default); debug only when verbose. */
export function lineReporter(options: {stream?: NodeJS.WritableStream; verbose?: boolean} = {}): Reporter {
  const stream = options.stream ?? process.stderr
  return {
    emit(event) {
      if (event.level === 'debug' && !options.verbose) return
      const prefix = event.level === 'info' || event.level === 'debug' ? '' : `${event.level}: `
      const subject = event.subject ? `${event.subject}: ` : ''
      stream.write(`${prefix}${subject}${event.message}\n`)
    },
  }
}

/** JSON lines with a timestamp, for logs and machines. */
export function jsonLinesReporter(stream: NodeJS.WritableStream, extra: Record<string, unknown> = {}): Reporter {
  return {
    emit(event) {
      stream.write(`${JSON.stringify({time: new Date().toISOString(), ...extra, ...event})}\n`)
    },
  }
}
