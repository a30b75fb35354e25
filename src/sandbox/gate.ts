/**
 * Who may connect to a demo backend once the cluster file has `firewall:`:
 * what the backend's security groups allow, as EC2 decides it. A rule lets
 * a connection in when it covers the port and the source is in its network,
 * or is the address of a proxy that carries the rule's source group. No
 * group, no rule: nobody. Pure.
 */
import {BlockList, isIP} from 'node:net'

import {ruleCovers} from '../cloud/firewall.js'
import type {DemoBackend, SandboxState} from '../cloud/local/state.js'
import {parseCidr} from '../cluster/cidr.js'

/** An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

function inNetwork(cidr: string, address: string): boolean {
  const parsed = parseCidr(cidr)
  if (!parsed || isIP(address) !== parsed.family) return false
  const list = new BlockList()
  const type = parsed.family === 4 ? 'ipv4' : 'ipv6'
  list.addSubnet(parsed.address, parsed.prefix, type)
  return list.check(address, type)
}

export function admits(state: Pick<SandboxState, 'groups' | 'instances'>, backend: Pick<DemoBackend, 'groupIds' | 'port'>, remoteAddress: string): boolean {
  const from = plain(remoteAddress)
  const groups = (state.groups ?? []).filter((g) => backend.groupIds?.includes(g.id))
  return groups.some((g) =>
    g.rules.some((rule) => {
      if (!ruleCovers(rule, 'tcp', backend.port)) return false
      if ('cidr' in rule.source) return inNetwork(rule.source.cidr, from)
      const {groupId} = rule.source
      return state.instances.some((i) => i.state === 'running' && i.address === from && i.groupIds?.includes(groupId))
    }),
  )
}
