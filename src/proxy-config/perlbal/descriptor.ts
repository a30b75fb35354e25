import type {EngineDescriptor} from '../descriptor.js'

export function detectPerlbal(file: string, text: string): number {
  let score = /perlbal/i.test(file) ? 0.4 : 0
  if (/^\s*CREATE\s+(POOL|SERVICE)\s+\S+/im.test(text)) score += 0.4
  if (/^\s*POOL\s+\S+\s+ADD\s+/im.test(text)) score += 0.3
  if (/^\s*SET\s+role\s*=\s*(reverse_proxy|web_server|management|selector)/im.test(text)) score += 0.3
  return Math.min(1, score)
}

export const perlbal: EngineDescriptor = {
  name: 'perlbal',
  detect: detectPerlbal,
  host: {remotePath: '/etc/perlbal/perlbal.conf', reload: 'systemctl restart perlbal', check: 'systemctl is-active --quiet perlbal', accessLog: '/var/log/perlbal/access.log'},
  packages: {apt: 'perlbal', rpm: 'perlbal', service: 'perlbal'},
  binary: 'perlbal',
  validator: 'perlbal trial start',
  starter: {
    file: 'perlbal.conf',
    text: `CREATE POOL web
  POOL web ADD 10.0.1.10:8080

CREATE SERVICE www
  SET role = reverse_proxy
  SET listen = 0.0.0.0:80
  SET pool = web
ENABLE www
`,
  },
  load: async () => (await import('./engine.js')).perlbalEngine,
}
