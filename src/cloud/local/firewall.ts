/**
 * The Firewall capability of the sandbox: security groups kept in its state
 * file, attached to its proxies and its demo backends, and enforced by the
 * supervisor on every connection to a demo backend (./gate.ts). The same
 * planner and audit as on AWS run over it, so `hactl firewall plan|apply|audit`
 * behave in the sandbox as they do against EC2.
 */
import {randomBytes} from 'node:crypto'

import type {Cluster} from '../../cluster/loader.js'
import {CloudError} from '../../errors.js'
import {sendControl} from './control.js'
import {RULE_MARK, type Firewall, type FirewallOperation, type FirewallRole, type FirewallState, type ObservedRule, type PolicyRule} from '../firewall.js'
import {sandboxPaths} from './paths.js'
import {notRunning, readState, updateState, type LocalGroup, type SandboxState} from './state.js'

/** Every sandbox instance is in one network; the planner needs a name for it. */
export const SANDBOX_VPC = 'sandbox'

export function sandboxGroupName(cluster: string, role: FirewallRole): string {
  return `hactl-${cluster}-${role}`
}

export class LocalFirewall implements Firewall {
  readonly firewallKind = 'sandbox-groups' as const
  private readonly dir: string

  constructor(private readonly cluster: Cluster) {
    this.dir = cluster.spec.local.dir
  }

  /** The sandbox's own instances: its proxies and its demo backends (by name, e.g. web1). */
  async observe(): Promise<FirewallState> {
    const state = await readState(this.dir)
    if (!state) throw notRunning(this.dir)
    return observedState(state)
  }

  async apply(operations: FirewallOperation[]): Promise<void> {
    await updateState(this.dir, (state) => {
      for (const operation of operations) applyOperation(state, this.cluster.spec.cluster, operation)
    })
    // The supervisor reads the state again, so the next connection meets the new rules.
    const answer = await sendControl(sandboxPaths(this.dir).control, {op: 'reconcile'}, 30_000).catch((error: Error) => {
      throw new CloudError(`the sandbox supervisor does not answer (${error.message})`, {actions: ['Run `hactl sandbox status`; restart it with `hactl sandbox down` and `hactl sandbox up`.']})
    })
    if (!answer.ok) throw new CloudError(`the sandbox could not apply the change: ${answer.error ?? answer.problems?.map((p) => p.message).join('; ')}`)
  }

  explain(operation: FirewallOperation): string[] {
    const name = (role: FirewallRole): string => sandboxGroupName(this.cluster.spec.cluster, role)
    switch (operation.op) {
      case 'createGroup':
        return [`sandbox:CreateGroup ${JSON.stringify({name: name(operation.role), role: operation.role})}`]
      case 'authorize':
        return [`sandbox:Authorize ${JSON.stringify({group: name(operation.role), rule: describeRuleSource(operation.rule, name('proxies'))})}`]
      case 'revoke':
        return [`sandbox:Revoke ${JSON.stringify({group: operation.groupId, rule: operation.rule})}`]
      case 'attach':
        return [`sandbox:Attach ${JSON.stringify({instance: operation.instanceId, groups: [...operation.keep, name(operation.role)]})}`]
    }
  }
}

function describeRuleSource(rule: PolicyRule, proxiesGroup: string): string {
  return `${rule.protocol}/${rule.port} from ${'cidr' in rule.source ? rule.source.cidr : proxiesGroup}`
}

export function observedState(state: SandboxState): FirewallState {
  return {
    groups: (state.groups ?? []).map((g) => ({id: g.id, name: g.name, ...(g.role ? {role: g.role} : {}), rules: g.rules.map((r) => ({...r}))})),
    instances: [
      ...state.instances
        .filter((i) => i.state !== 'terminated')
        .map((i) => ({id: i.id, name: i.name, role: 'proxies' as const, groupIds: [...(i.groupIds ?? [])], vpcId: SANDBOX_VPC, privateAddress: i.address})),
      ...state.backends.map((b) => ({id: b.name, name: `${b.address}:${b.port}`, role: 'backends' as const, groupIds: [...(b.groupIds ?? [])], vpcId: SANDBOX_VPC, privateAddress: b.address})),
    ],
  }
}

function sameRule(a: ObservedRule, b: ObservedRule): boolean {
  return a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort && JSON.stringify(a.source) === JSON.stringify(b.source)
}

function groupOf(state: SandboxState, role: FirewallRole): LocalGroup {
  const group = state.groups?.find((g) => g.role === role)
  if (!group) throw new CloudError(`the sandbox has no ${role}' group yet`, {actions: ['Run `hactl firewall apply` again.']})
  return group
}

/** One operation on the state, as EC2 would make it: a group created here is used by the operations after it. */
function applyOperation(state: SandboxState, cluster: string, operation: FirewallOperation): void {
  const groups = (state.groups ??= [])
  switch (operation.op) {
    case 'createGroup': {
      if (groups.some((g) => g.role === operation.role)) return
      groups.push({id: `sg-${randomBytes(9).toString('hex').slice(0, 17)}`, name: sandboxGroupName(cluster, operation.role), role: operation.role, rules: []})
      return
    }
    case 'authorize': {
      const {rule} = operation
      const source = 'cidr' in rule.source ? {cidr: rule.source.cidr} : {groupId: groupOf(state, rule.source.role).id}
      const made: ObservedRule = {protocol: rule.protocol, fromPort: rule.port, toPort: rule.port, source, description: `${RULE_MARK} ${rule.why}`}
      const group = groupOf(state, operation.role)
      if (!group.rules.some((r) => sameRule(r, made))) group.rules.push(made)
      return
    }
    case 'revoke': {
      const group = groups.find((g) => g.id === operation.groupId)
      if (group) group.rules = group.rules.filter((r) => !sameRule(r, operation.rule))
      return
    }
    case 'attach': {
      const id = groupOf(state, operation.role).id
      const target = operation.role === 'proxies' ? state.instances.find((i) => i.id === operation.instanceId) : state.backends.find((b) => b.name === operation.instanceId)
      if (!target) throw new CloudError(`no ${operation.role === 'proxies' ? 'proxy' : 'backend'} ${operation.instanceId} in the sandbox`)
      target.groupIds = [...new Set([...operation.keep, id])]
    }
  }
}

export function createLocalFirewall(cluster: Cluster): LocalFirewall {
  return new LocalFirewall(cluster)
}
