import {Chalk, type ChalkInstance} from 'chalk'

import type {Terminal} from './terminal.js'

/** A chalk that colours only when the terminal allows it. */
export function paint(terminal: Pick<Terminal, 'color'>): ChalkInstance {
  return new Chalk({level: terminal.color ? 1 : 0})
}

export function mark(ok: boolean, terminal: Pick<Terminal, 'color'>): string {
  const c = paint(terminal)
  return ok ? c.green('✓') : c.red('✗')
}

export function colorDiff(diff: string, terminal: Pick<Terminal, 'color'>): string {
  const c = paint(terminal)
  return diff
    .split('\n')
    .map((l) => {
      if (l.startsWith('+++') || l.startsWith('---')) return c.bold(l)
      if (l.startsWith('+')) return c.green(l)
      if (l.startsWith('-')) return c.red(l)
      if (l.startsWith('@@')) return c.cyan(l)
      return l
    })
    .join('\n')
}
