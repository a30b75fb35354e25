import type {EngineName} from '../cluster/schema.js'
import {ENGINE_DESCRIPTORS, engineTable} from '../proxy-config/descriptors.js'

/** A starter proxy config per engine (its descriptor): one frontend on :80, one backend `web`, a health endpoint. */
export const STARTER_CONFIGS: Record<EngineName, {file: string; text: string}> = engineTable((d) => d.starter)

export interface ClusterAnswers {
  name: string
  provider: 'aws' | 'local' | 'static'
  engine: EngineName
  region?: string
  zones: string[]
  hosts: string[]
  dnsName?: string
  dnsZone?: string
  sshUser?: string
}

/** The hactl.yaml text for a set of answers; comments say what each part is for. */
export function renderClusterFile(a: ClusterAnswers, proxyConfigFile: string): string {
  const lines = [
    `# hactl cluster file: see \`hactl --help\` and the README's cluster file reference`,
    `cluster: ${a.name}`,
    `provider: ${a.provider}`,
  ]
  if (a.provider === 'aws') lines.push(`region: ${a.region ?? 'us-east-1'}`)
  lines.push(
    'topology: pool',
    'proxy:',
    `  engine: ${a.engine}`,
    `  config: ./${proxyConfigFile}          # the source of truth: keep it in git`,
    `  remotePath: ${ENGINE_DESCRIPTORS[a.engine].host.remotePath}`,
  )
  if (a.provider === 'aws') {
    lines.push(
      '  instances:',
      '    count: 3',
      `    zones: [${a.zones.join(', ')}]`,
      '    type: t3.small',
      '    # image: ami-...            # Debian, Ubuntu or Amazon Linux',
      '    # keyName: ops',
      '    # securityGroups: [sg-...]',
      '    # subnets: [subnet-...]',
    )
  }
  if (a.provider !== 'local') {
    lines.push('ssh:', `  user: ${a.sshUser ?? 'admin'}`, '  # identityFile: ~/.ssh/id_ed25519', '  knownHosts: ~/.ssh/known_hosts')
  }
  if (a.provider === 'static') {
    lines.push('hosts:', ...a.hosts.map((h, i) => `  - { name: lb${i + 1}, address: ${h} }`))
  }
  if (a.provider !== 'static') lines.push('addresses:', '  count: 3')
  if (a.dnsName && a.dnsZone) lines.push('dns:', `  zone: ${a.dnsZone}`, `  name: ${a.dnsName}`, '  ttl: 30')
  lines.push(
    'health:',
    '  proxy: { type: http, port: 80, path: /healthz, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }',
    'failover:',
    '  holdDown: 60s',
    '  maxRemapsPerHour: 10',
  )
  return `${lines.join('\n')}\n`
}
