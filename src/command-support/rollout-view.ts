/** How config push / diff results read on a terminal or in a pipe. */
import type {DiffReport, PushReport} from '../services/config-sync.js'
import type {HostResult} from '../remote/rollout.js'
import {colorDiff} from '../ui/color.js'
import {renderTable} from '../ui/table.js'
import type {Terminal} from '../ui/terminal.js'

export function renderPush(report: PushReport, terminal: Terminal): string {
  if (report.plan) {
    return report.plan.map((p) => [`${p.host}: would`, ...p.steps.map((s) => `  ${s}`)].join('\n')).join('\n')
  }
  return renderTable<HostResult>(
    report.hosts,
    [
      {header: 'host', get: (h) => h.host},
      {header: 'status', get: (h) => (h.rolledBack ? `${h.status} (rolled back)` : h.status)},
      {header: 'step', get: (h) => h.step},
      {header: 'seconds', get: (h) => (h.ms / 1000).toFixed(1)},
      {header: 'message', get: (h) => h.message?.split('\n')[0]},
    ],
    terminal,
  )
}

export function pushSummary(report: PushReport): string {
  const c = report.counts
  const parts = Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
  const actions = [...new Set(report.hosts.flatMap((h) => h.actions ?? []))]
  return [`${report.source} → ${report.hosts.length} host${report.hosts.length === 1 ? '' : 's'}: ${parts.join(', ')}`, ...actions.map((a) => `  → ${a}`)].join('\n')
}

export function renderDiff(report: DiffReport, terminal: Terminal): string {
  return report.hosts
    .map((h) => {
      if (h.status === 'in-sync') return `${h.host}: in sync`
      if (h.status === 'unreachable') return `${h.host}: unreachable: ${h.message}`
      if (h.status === 'not-loaded') return `${h.host}: installed but not loaded: ${h.message}${h.diff ? `\n${colorDiff(h.diff, terminal).trimEnd()}` : ''}`
      return `${h.host}: ${h.status === 'missing' ? `${h.path} does not exist` : 'drift'}\n${colorDiff(h.diff, terminal).trimEnd()}`
    })
    .join('\n')
}
