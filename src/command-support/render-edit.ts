import type {ConfigEditResult} from '../services/config-edit.js'
import type {EditAndPushResult} from '../services/edit-and-push.js'
import {pushSummary, renderPush} from './rollout-view.js'
import {colorDiff} from '../ui/color.js'
import type {Terminal} from '../ui/terminal.js'

/** The edit line, then the rollout's table and summary when one followed. */
export function renderEditAndPush(result: EditAndPushResult, terminal: Terminal): string {
  const edit = renderEdit(result, terminal)
  if (!result.rollout) return edit
  return [edit, renderPush(result.rollout, terminal), pushSummary(result.rollout)].join('\n')
}

/** What an edit command prints: the diff under --dry-run, else one line saying what happened. */
export function renderEdit(result: ConfigEditResult, terminal: Pick<Terminal, 'color'>): string {
  if (!result.changed) return `unchanged: ${result.summary}`
  if (result.dryRun) return `${colorDiff(result.diff, terminal).trimEnd()}\ndry run: ${result.summary}; nothing written to ${result.file}`
  return `${result.file}: ${result.summary}`
}
