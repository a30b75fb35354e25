import {createTwoFilesPatch} from 'diff'

import {paint} from './color.js'
import type {Terminal} from './terminal.js'

/** A unified diff of two versions of a file; empty when they are equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return ''
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, {context: 3})
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .join('\n')
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
