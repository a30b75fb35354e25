/** The tags hactl puts on everything it creates, and finds it again by: the cloud is the source of truth. */
export const TAG = {
  cluster: 'hactl:cluster',
  role: 'hactl:role',
  pair: 'hactl:pair',
  backend: 'hactl:backend',
  port: 'hactl:port',
} as const

export type Role = 'address' | 'backend-firewall' | 'balancer' | 'health-check' | 'launch-template' | 'proxy' | 'proxy-firewall' | 'target-group'

export function hactlTags(cluster: string, role: Role, extra: Record<string, string> = {}): Record<string, string> {
  return {[TAG.cluster]: cluster, [TAG.role]: role, Name: `${cluster}-${role}`, ...extra}
}
