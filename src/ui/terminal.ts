import {isatty} from 'node:tty'

/** What the output can assume about where it goes. Decided once per command run. */
export interface Terminal {
  /** stdout is a TTY: tables with headers, progress views. */
  tty: boolean
  /** colour allowed: a TTY, no NO_COLOR, no --no-color. */
  color: boolean
  /** stdin is a TTY: prompts allowed unless --yes. */
  interactive: boolean
}

export function detectTerminal(options: {color?: boolean} = {}): Terminal {
  const tty = Boolean(process.stdout.isTTY)
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== ''
  return {
    tty,
    color: tty && !noColor && options.color !== false,
    // isatty(0), not process.stdin.isTTY: the stream costs a few ms to make, and most commands never read stdin.
    interactive: isatty(0) && process.env.CI !== 'true',
  }
}
