import type {StatusReport} from '../services/status.js'
import {mark} from './color.js'
import {renderTable} from './table.js'
import type {Terminal} from './terminal.js'

/** The status screen: a few short sections, each a table or one line. */
export function renderStatus(r: StatusReport, terminal: Terminal): string {
  const out: string[] = [`cluster ${r.cluster} (${r.provider}, ${r.topology})`, '', 'proxies']
  out.push(
    renderTable(r.proxies, [
      {header: 'id', get: (p) => p.id},
      {header: 'name', get: (p) => p.name},
      {header: 'zone', get: (p) => p.zone},
      {header: 'state', get: (p) => p.state},
      {header: 'health', get: (p) => p.health},
      {header: 'addresses', get: (p) => p.addresses.join(' ') || undefined},
    ], terminal),
    '',
    'addresses',
    renderTable(r.addresses, [
      {header: 'address', get: (a) => a.publicIp},
      {header: 'holder', get: (a) => a.holder},
      {header: 'zone', get: (a) => a.zone},
      {header: 'healthy', get: (a) => mark(a.healthy, terminal)},
    ], terminal),
    '',
  )
  if (r.dns) {
    const detail = r.dns.ok ? `lists the ${r.dns.expected.length} pool addresses` : `missing ${r.dns.missing.join(' ') || '-'}, extra ${r.dns.extra.join(' ') || '-'}`
    out.push(`dns ${r.dns.name} A ${r.dns.live.join(' ') || '(none)'}: ${mark(r.dns.ok, terminal)} ${detail}`)
  }
  if (r.backends) {
    const failing = r.backends.failed > 0 ? ` (${r.backends.failing.join(', ')})` : ''
    out.push(`backends: ${r.backends.ok} ok, ${r.backends.failed} failing${failing}${r.backends.note ? `; ${r.backends.note}` : ''}`)
  }
  const round = r.monitor.lastRound
  out.push(round ? `monitor: last round ${round.id} at ${round.at} (${round.healthy} healthy, ${round.unhealthy} unhealthy, ${round.unknown} unknown)` : 'monitor: no round recorded yet')
  for (const a of r.monitor.lastActions) out.push(`  ${a.at} ${a.outcome} ${a.summary}`)
  if (r.lease) {
    const l = r.lease
    out.push(l.error ? `lease ${l.name}: cannot read (${l.error})` : l.holder ? `lease ${l.name}: ${l.held ? 'held' : 'last held'} by ${l.holder}, token ${l.token}, ${l.held ? 'expires' : 'expired'} ${l.expiresAt}` : `lease ${l.name}: free`)
  }
  out.push('', r.degraded ? `degraded:\n${r.problems.map((p) => `  ${mark(false, terminal)} ${p}`).join('\n')}` : `${mark(true, terminal)} all well`)
  return out.join('\n')
}
