import type {ConfigEditResult} from '../services/config-edit.js'
import {colorDiff} from '../ui/diff.js'
import type {Terminal} from '../ui/terminal.js'

/** What an edit command prints: the diff under --dry-run, else one line saying what happened. */
export function renderEdit(result: ConfigEditResult, terminal: Pick<Terminal, 'color'>): string {
  if (!result.changed) return `unchanged: ${result.summary}`
  if (result.dryRun) return `${colorDiff(result.diff, terminal).trimEnd()}\ndry run: ${result.summary}; nothing written to ${result.file}`
  return `${result.summary} (${result.file})`
}
