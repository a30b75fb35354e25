/**
 * The sandbox's firewall: `sandbox up` applies the cluster's policy through
 * the local Firewall capability (as `hactl firewall apply` would), and
 * `sandbox open|close` make and remove a hole on purpose, the way a group
 * added by hand on EC2 opens a backend to the world, so `hactl firewall
 * audit` has something real to find.
 */
import {readFile} from 'node:fs/promises'

import {createLocalFirewall} from '../cloud/local/firewall.js'
import {sandboxPaths} from '../cloud/local/paths.js'
import {notRunning, readState, updateState, type DemoBackend, type LocalGroup, type SandboxState} from '../cloud/local/state.js'
import type {Cluster} from '../cluster/loader.js'
import {WORLD_V4} from '../cluster/cidr.js'
import {CloudError, UsageError} from '../errors.js'
import {planFirewallOperations} from '../firewall/planner.js'
import {firewallPolicy} from '../firewall/policy.js'
import '../proxy-config/engines.js'
import {loadEngine} from '../proxy-config/registry.js'
import {sendControl} from '../cloud/local/control.js'

/** The group `sandbox open` attaches: not hactl's (no `hactl:` mark), so `firewall apply` never takes it away. */
export const OPEN_GROUP_NAME = 'open-to-the-world'

/** Make the sandbox's groups match the policy; the number of changes made (0 when they already did). */
export async function applySandboxFirewall(cluster: Cluster): Promise<number> {
  if (!cluster.spec.firewall) return 0
  const file = cluster.spec.proxy.config
  const engine = await loadEngine(cluster.spec.proxy.engine)
  const doc = engine.parse(await readFile(file, 'latin1'), file)
  const policy = firewallPolicy(cluster.spec, engine.listBackends(doc), file)
  const firewall = createLocalFirewall(cluster)
  const operations = planFirewallOperations(policy, await firewall.observe())
  if (operations.length > 0) await firewall.apply(operations)
  return operations.length
}

export interface OpenResult {
  backend: string
  address: string
  port: number
  open: boolean
  changed: boolean
}

/**
 * `sandbox open web1`: a group outside hactl's, letting the backend's port
 * in from 0.0.0.0/0, attached to the backend. `close` detaches it again.
 */
export async function sandboxOpen(cluster: Cluster, key: string, open: boolean, dryRun: boolean): Promise<OpenResult> {
  if (cluster.spec.provider !== 'local') {
    throw new UsageError(`${cluster.file} is a provider ${cluster.spec.provider} cluster, not a sandbox`, {actions: ['Point at a sandbox cluster file with -c.']})
  }
  if (!cluster.spec.firewall) {
    throw new UsageError(`${cluster.file} has no firewall: section, so the sandbox's backends are open to everyone already`, {
      actions: ['Add the firewall: section a new sandbox gets (docs/firewall.md, "In the sandbox"), then run `hactl sandbox down` and `hactl sandbox up`.'],
    })
  }
  const {dir} = cluster.spec.local
  const find = (state: SandboxState): {backend: DemoBackend; group?: LocalGroup} => {
    const backend = state.backends.find((b) => b.name === key || b.address === key || `${b.address}:${b.port}` === key)
    if (!backend) {
      throw new UsageError(`no demo backend "${key}" in the sandbox`, {actions: [`Name one of: ${state.backends.map((b) => b.name).join(', ') || 'none'}.`]})
    }
    return {backend, group: state.groups?.find((g) => !g.role && g.name === OPEN_GROUP_NAME)}
  }
  const before = await readState(dir)
  if (!before) throw notRunning(dir)
  const {backend, group} = find(before)
  const attached = group !== undefined && (backend.groupIds ?? []).includes(group.id)
  const result = {backend: backend.name, address: backend.address, port: backend.port, open, changed: attached !== open}
  if (dryRun || !result.changed) return result
  await updateState(dir, (state) => {
    const found = find(state)
    const groups = (state.groups ??= [])
    let hole = found.group
    if (!open) {
      found.backend.groupIds = (found.backend.groupIds ?? []).filter((id) => id !== hole?.id)
      return
    }
    if (!hole) {
      hole = {id: `sg-open${String(groups.length).padStart(10, '0')}`, name: OPEN_GROUP_NAME, rules: []}
      groups.push(hole)
    }
    const {port} = found.backend
    if (!hole.rules.some((r) => r.fromPort === port)) hole.rules.push({protocol: 'tcp', fromPort: port, toPort: port, source: {cidr: WORLD_V4}, description: 'made by hand: sandbox open'})
    found.backend.groupIds = [...new Set([...(found.backend.groupIds ?? []), hole.id])]
  })
  // The supervisor reads the state again: the next connection meets the new rule.
  const answer = await sendControl(sandboxPaths(dir).control, {op: 'reconcile'}, 30_000).catch((error: Error) => {
    throw new CloudError(`the sandbox supervisor does not answer (${error.message})`, {actions: ['Run `hactl sandbox status`.']})
  })
  if (!answer.ok) throw new CloudError(`the sandbox could not apply the change: ${answer.error ?? answer.problems?.map((p) => p.message).join('; ')}`)
  return result
}
