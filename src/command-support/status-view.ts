import {nameInstances} from '../cloud/labels.js'
import {seconds, type StatusReport} from '../services/status.js'
import {mark} from '../ui/color.js'
import {renderTable} from '../ui/table.js'
import type {Terminal} from '../ui/terminal.js'

/**
 * The status screen: a few short sections, each a table or one line, each
 * drawn by its own function below. On a terminal proxies are named as a
 * person knows them; piped, the holder column keeps instance ids for scripts.
 */
export function renderStatus(r: StatusReport, terminal: Terminal): string {
  return [
    `cluster ${r.cluster} (${r.provider}, ${r.topology})`,
    '',
    'proxies',
    proxiesTable(r, terminal),
    '',
    // topology nlb has no Elastic IPs: the balancer is where clients arrive.
    ...(r.topology === 'nlb' ? balancerLines(r, terminal) : ['addresses', addressesTable(r, terminal)]),
    '',
    ...dnsLine(r, terminal),
    ...backendsLine(r),
    ...firewallLine(r, terminal),
    ...monitorLines(r),
    ...convergeLines(r),
    ...leaseLine(r),
    ...certificatesLine(r),
    '',
    verdict(r, terminal),
  ].join('\n')
}

function proxiesTable(r: StatusReport, terminal: Terminal): string {
  return renderTable(
    r.proxies,
    [
      {header: 'id', get: (p) => p.id},
      {header: 'name', get: (p) => p.name},
      ...(r.topology === 'pairs' ? [{header: 'pair', get: (p: StatusReport['proxies'][number]) => p.pair ?? '-'}] : []),
      {header: 'zone', get: (p) => p.zone},
      // What the cloud says beside what the probe saw: a crashed proxy is still `running` to the cloud.
      {header: 'state', get: (p) => p.state},
      {header: 'probe', get: (p) => p.probe},
      {header: 'health', get: (p) => p.health},
      r.topology === 'nlb' ? {header: 'target', get: (p) => p.target} : {header: 'addresses', get: (p) => p.addresses.join(' ') || undefined},
    ],
    terminal,
  )
}

function balancerLines(r: StatusReport, terminal: Terminal): string[] {
  const b = r.balancer
  if (!b) return ['balancer: none (`hactl proxy launch` makes it)']
  const where = `${b.address ?? b.dnsName ?? '?'} port${b.ports.length === 1 ? '' : 's'} ${b.ports.join(',')}`
  const draining = b.targets.filter((t) => t.state === 'draining').length
  return [`balancer ${b.name} at ${where}: ${mark(b.healthy > 0, terminal)} ${b.healthy} of ${b.targets.length} targets healthy${draining > 0 ? `, ${draining} draining` : ''}; no Elastic IPs (topology nlb)`]
}

function addressesTable(r: StatusReport, terminal: Terminal): string {
  return renderTable(
    r.addresses,
    [
      {header: 'address', get: (a) => a.publicIp},
      ...(r.topology === 'pairs' ? [{header: 'pair', get: (a: StatusReport['addresses'][number]) => a.pair ?? '-'}] : []),
      {header: 'holder', get: (a) => (terminal.tty ? a.holderName : a.holder)},
      {header: 'zone', get: (a) => a.zone},
      {header: 'healthy', get: (a) => mark(a.healthy, terminal)},
    ],
    terminal,
  )
}

function dnsLine(r: StatusReport, terminal: Terminal): string[] {
  if (!r.dns) return []
  const detail = r.dns.ok ? (r.dns.points === 'balancer' ? 'points at the load balancer' : `lists the ${r.dns.expected.length} pool addresses`) : `missing ${r.dns.missing.join(' ') || '-'}, extra ${r.dns.extra.join(' ') || '-'}`
  return [`dns ${r.dns.name} A ${r.dns.live.join(' ') || '(none)'}: ${mark(r.dns.ok, terminal)} ${detail}`]
}

function backendsLine(r: StatusReport): string[] {
  if (!r.backends) return []
  const failing = r.backends.failed > 0 ? ` (${r.backends.failing.join(', ')})` : ''
  return [`backends: ${r.backends.ok} ok, ${r.backends.failed} failing${failing}${r.backends.note ? `; ${r.backends.note}` : ''}`]
}

function firewallLine(r: StatusReport, terminal: Terminal): string[] {
  const f = r.firewall
  if (!f) return []
  if (f.state === 'ok') return [`firewall: ${mark(true, terminal)} no findings`]
  if (f.state === 'findings') return [`firewall: ${mark(false, terminal)} ${f.findings} finding${f.findings === 1 ? '' : 's'} (hactl firewall audit)`]
  return [`firewall: not checked: ${f.summary} (hactl firewall audit)`]
}

function monitorLines(r: StatusReport): string[] {
  const m = r.monitor
  const round = m.lastRound
  if (!round && r.topology === 'nlb') return ['monitor: no address to move with topology nlb (the balancer checks the proxies; on AWS, `hactl monitor` or `proxy admit` lets new proxies in)']
  if (!round) return ['monitor: no round recorded yet', ...actionLines(r)]
  const counts = `${round.healthy} healthy, ${round.unhealthy} unhealthy, ${round.unknown} unknown`
  const ago = `${seconds(m.ageMs ?? 0)} s ago`
  let head: string
  if (m.stopped) head = `monitor not running (last round ${ago}): last round ${round.id} at ${round.at} (${counts})`
  else if (m.once) head = `monitor: last round ${round.id} (--once) at ${round.at}, ${ago} (${counts})`
  else head = `monitor: running, last round ${round.id} at ${round.at}, ${ago} (${counts})`
  return [head, ...actionLines(r)]
}

/** What the monitor's last comparison of live configs with the source found (proxy.converge). */
function convergeLines(r: StatusReport): string[] {
  const c = r.converge
  if (!c) return []
  const drift = c.drift.map((d) => `${d.label} (${d.summary}, since ${d.since})`)
  const unpushed = c.unpushed.map((u) => u.label)
  const found = [...(drift.length > 0 ? [`drift: ${drift.join(', ')}`] : []), ...(unpushed.length > 0 ? [`never pushed: ${unpushed.join(', ')}`] : [])]
  return [`configs (converge ${c.mode}${c.checkedAt ? `, compared ${c.checkedAt}` : ''}): ${found.length > 0 ? found.join('; ') : 'every proxy runs the source'}`]
}

/** The monitor recorded ids; the lines name the proxies as the table above does. */
function actionLines(r: StatusReport): string[] {
  const labels = new Map(r.proxies.map((p) => [p.id, p.label]))
  return r.monitor.lastActions.map((a) => `  ${a.at} ${a.outcome} ${nameInstances(a.summary, labels)}`)
}

function leaseLine(r: StatusReport): string[] {
  const l = r.lease
  if (!l) return []
  if (l.error) return [`lease ${l.name}: cannot read (${l.error})`]
  if (!l.holder) return [`lease ${l.name}: free`]
  if (l.released) return [`lease ${l.name}: free (released by ${l.holder}, token ${l.token})`]
  return [`lease ${l.name}: ${l.held ? 'held' : 'last held'} by ${l.holder}, token ${l.token}, ${l.held ? 'expires' : 'expired'} ${l.expiresAt}`]
}

function verdict(r: StatusReport, terminal: Terminal): string {
  return r.degraded ? `degraded:\n${r.problems.map((p) => `  ${mark(false, terminal)} ${p}`).join('\n')}` : `${mark(true, terminal)} all well`
}

function certificatesLine(r: StatusReport): string[] {
  if (!r.certificates) return []
  return [`certificates: ${r.certificates.map((c) => `${c.name} until ${c.notAfter?.slice(0, 10) ?? '?'} (${c.daysLeft ?? '?'} days)`).join(', ')}`]
}
