import {paint} from './color.js'
import type {Terminal} from './terminal.js'

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
