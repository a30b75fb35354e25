/**
 * Where the monitor's events go: JSON lines (one object per event, with a
 * timestamp and the round id) for logs and machines, or short human lines
 * on a terminal.
 */
import type {HactlEvent, Reporter} from '../events.js'

export interface RoundLog extends Reporter {
  /** Stamped on every event from now on. */
  round: string
}

/** Debug events (the planner's notes, every round) only with verbose: a long-running log stays small. */
export function jsonEventLog(stream: NodeJS.WritableStream, options: {verbose?: boolean; clock?: () => number} = {}): RoundLog {
  const clock = options.clock ?? Date.now
  return {
    round: '',
    emit(event: HactlEvent) {
      if (event.level === 'debug' && !options.verbose) return
      stream.write(`${JSON.stringify({time: new Date(clock()).toISOString(), round: this.round, ...event})}\n`)
    },
  }
}

/**
 * `name` turns the instance ids in a line into the names a person knows
 * (`proxy-1`, the EC2 Name tag); events keep ids, only the line changes.
 */
export function humanEventLog(stream: NodeJS.WritableStream, options: {verbose?: boolean; clock?: () => number; name?: (text: string) => string} = {}): RoundLog {
  const clock = options.clock ?? Date.now
  const name = options.name ?? ((text: string) => text)
  return {
    round: '',
    emit(event: HactlEvent) {
      if (event.level === 'debug' && !options.verbose) return
      const time = new Date(clock()).toISOString().slice(11, 23)
      const level = event.level === 'info' || event.level === 'debug' ? '' : `${event.level}: `
      const subject = event.subject ? `${name(event.subject)}: ` : ''
      stream.write(`${time} ${this.round.padEnd(8)} ${level}${subject}${name(event.message)}\n`)
    },
  }
}

/** Send each event to every log. */
export function teeLog(...logs: RoundLog[]): RoundLog {
  return {
    get round() {
      return logs[0]?.round ?? ''
    },
    set round(id: string) {
      for (const log of logs) log.round = id
    },
    emit(event) {
      for (const log of logs) log.emit(event)
    },
  }
}
