import {pairOf} from '../cloud/pairs.js'
import {renderTable} from '../ui/table.js'
import type {Terminal} from '../ui/terminal.js'
import type {SandboxView} from '../sandbox/service.js'

/** The sandbox at a glance: its proxies, where each address points, and what DNS answers. */
export function renderSandbox(view: SandboxView, terminal: Pick<Terminal, 'tty'>): string {
  if (!view.supervisorPid) return `no sandbox is running for ${view.clusterFile}`
  const names = new Map(view.instances.map((i) => [i.id, i.name ?? i.id]))
  const pairs = view.instances.some((i) => pairOf(i) !== undefined)
  const proxies = renderTable(
    view.instances,
    [
      {header: 'proxy', get: (i) => i.name},
      {header: 'id', get: (i) => i.id},
      ...(pairs ? [{header: 'pair', get: (i: SandboxView['instances'][number]) => pairOf(i)}] : []),
      {header: 'zone', get: (i) => i.zone},
      {header: 'address', get: (i) => i.privateAddress},
      {header: 'state', get: (i) => (i.crashed ? 'killed' : i.alive ? i.state : `${i.state}, not answering`)},
      {header: 'pid', get: (i) => i.pid},
    ],
    terminal,
  )
  const addresses = renderTable(
    view.addresses,
    [
      {header: 'elastic ip', get: (a) => a.publicIp},
      ...(pairs ? [{header: 'pair', get: (a: SandboxView['addresses'][number]) => pairOf(a)}] : []),
      {header: 'allocation', get: (a) => a.allocationId},
      {header: 'proxy', get: (a) => (a.instanceId ? names.get(a.instanceId) ?? a.instanceId : undefined)},
    ],
    terminal,
  )
  const targets = new Map(view.balancer?.targets.map((t) => [t.instanceId, t]))
  const balancer = view.balancer
    ? [
        `balancer ${view.balancer.address ?? view.balancer.dnsName}:${view.balancer.ports.join(',')}`,
        renderTable(
          view.instances,
          [
            {header: 'target', get: (i) => i.name},
            {header: 'state', get: (i) => targets.get(i.id)?.state ?? 'not registered'},
            {header: 'reason', get: (i) => targets.get(i.id)?.reason},
          ],
          terminal,
        ),
      ].join('\n')
    : undefined
  const record = view.dns.record ? `${view.dns.record.name} ${view.dns.record.ttl} A ${view.dns.record.values.join(' ')}` : `${view.dns.name}: no record`
  return [
    `supervisor pid ${view.supervisorPid}, DNS on ${view.dns.server}:${view.dns.port}`,
    '',
    proxies,
    '',
    // topology nlb has no Elastic IPs: the balancer's targets take their place.
    balancer ?? addresses,
    '',
    record,
  ].join('\n')
}
