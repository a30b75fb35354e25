import path from 'node:path'

import type {EngineDescriptor} from '../descriptor.js'

const SECTIONS = /^[ \t]*(global|defaults|frontend|backend|listen)\b/m
const WORDS = /^[ \t]*(server|bind|default_backend|use_backend|balance|timeout)[ \t]/m

export function detectHaproxy(file: string, text: string): number {
  const base = path.basename(file).toLowerCase()
  let score = 0
  if (SECTIONS.test(text)) score += 0.5
  if (WORDS.test(text)) score += 0.2
  if (base.includes('haproxy')) score += 0.3
  else if (base.endsWith('.cfg')) score += 0.1
  return Math.min(score, 1)
}

export const haproxy: EngineDescriptor = {
  name: 'haproxy',
  detect: detectHaproxy,
  host: {
    remotePath: '/etc/haproxy/haproxy.cfg',
    reload: 'systemctl reload haproxy',
    validate: 'haproxy -c -f {file}',
    check: 'systemctl is-active --quiet haproxy',
    // Debian's haproxy package has rsyslog write its /dev/log messages here.
    accessLog: '/var/log/haproxy.log',
  },
  packages: {apt: 'haproxy', rpm: 'haproxy', service: 'haproxy'},
  binary: 'haproxy',
  validator: 'haproxy -c',
  starter: {
    file: 'haproxy.cfg',
    text: `global
    # Debian's rsyslog writes these to /var/log/haproxy.log, which \`hactl logs\` reads (proxy.accessLog)
    log /dev/log local0
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind :80
    # answered by the proxy itself: what hactl's health checks probe
    monitor-uri /healthz
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /
    server web1 10.0.1.10:8080 check
`,
  },
  load: async () => (await import('./engine.js')).haproxyEngine,
}
