/**
 * topology nlb: from what of the balancer's setup exists to the parts
 * `proxy launch` still has to create, in an order where each part finds the
 * ones it names (a listener forwards to its port's target group, the scaling
 * group launches from the template into the target groups). Pure.
 */
import type {BalancerParts, ScalingView} from './capabilities.js'
import type {BalancerPart} from './operations.js'
import type {ProviderOperation} from './operations.js'

export function planBalancerSetup(parts: BalancerParts, wanted: {ports: number[]; count: number}): BalancerPart[] {
  const ports = [...new Set(wanted.ports)].sort((a, b) => a - b)
  const has = (list: number[], port: number): boolean => list.includes(port)
  const steps: BalancerPart[] = []
  if (!parts.launchTemplate) steps.push({part: 'launchTemplate'})
  for (const port of ports) {
    if (!has(parts.targetGroups, port)) steps.push({part: 'targetGroup', port})
    // A new target group starts with the cloud's defaults: its attributes are set right after.
    if (!has(parts.targetGroups, port) || !has(parts.targetGroupAttributes, port)) steps.push({part: 'targetGroupAttributes', port})
  }
  if (!parts.balancer) steps.push({part: 'balancer'})
  if (!parts.balancer || !parts.balancerAttributes) steps.push({part: 'balancerAttributes'})
  for (const port of ports) if (!parts.balancer || !has(parts.listeners, port)) steps.push({part: 'listener', port})
  // A group created here names every target group itself; one found without some is attached to them.
  if (!parts.scalingGroup) steps.push({part: 'scalingGroup', count: wanted.count, ports})
  else for (const port of ports) if (!has(parts.attached, port)) steps.push({part: 'attachTargetGroup', port})
  // A new group is created with its hook (its first instances wait too); put again, it is found by its name and changes nothing.
  // On a group found without it, only the instances launched from now on wait.
  if (parts.launchHook === false) steps.push({part: 'launchHook'})
  return steps
}

/** `proxy scale N`: min = max = desired = N, one call when any of the three differs. */
export function planScale(group: Pick<ScalingView, 'desired' | 'max' | 'min'>, count: number): ProviderOperation[] {
  return group.desired === count && group.min === count && group.max === count ? [] : [{op: 'setGroupCount', count}]
}
