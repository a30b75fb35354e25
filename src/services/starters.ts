import type {EngineName} from '../cluster/schema.js'

/** A starter proxy config per engine: one frontend on :80, one backend `web`, a health endpoint. */
export const STARTER_CONFIGS: Record<EngineName, {file: string; text: string}> = {
  haproxy: {
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
  nginx: {
    file: 'nginx.conf',
    text: `events {
    worker_connections 1024;
}

http {
    # \`hactl logs\` reads this file (proxy.accessLog) in this format
    access_log /var/log/nginx/access.log combined;

    upstream web {
        server 10.0.1.10:8080 max_fails=2 fail_timeout=10s;
    }

    server {
        listen 80;

        location = /healthz {
            return 200 "ok\\n";
        }

        location / {
            proxy_pass http://web;
        }
    }
}
`,
  },
  pound: {
    file: 'pound.cfg',
    text: `# Apache combined with the virtual host, through syslog: what \`hactl logs\` reads
LogLevel 3

ListenHTTP
    Address 0.0.0.0
    Port 80

    Service "web"
        BackEnd
            Address 10.0.1.10
            Port 8080
        End
    End
End
`,
  },
  perlbal: {
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
}

const REMOTE_PATHS: Record<EngineName, string> = {
  haproxy: '/etc/haproxy/haproxy.cfg',
  nginx: '/etc/nginx/nginx.conf',
  pound: '/etc/pound/pound.cfg',
  perlbal: '/etc/perlbal/perlbal.conf',
}

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
    `  remotePath: ${REMOTE_PATHS[a.engine]}`,
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
