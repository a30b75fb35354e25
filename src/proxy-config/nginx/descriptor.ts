import type {EngineDescriptor} from '../descriptor.js'

/** Content that says "nginx", with how much each says it. */
const HINTS: [RegExp, number][] = [
  [/^\s*upstream\s+\S+\s*\{/m, 0.4],
  [/^\s*server\s*\{/m, 0.3],
  [/^\s*location\s+[^\n]*\{/m, 0.3],
  [/^\s*(http|events|stream)\s*\{/m, 0.3],
  [/^\s*(proxy_pass|fastcgi_pass)\s+[^\n]*;/m, 0.2],
  [/^\s*server_name\s+[^\n]*;/m, 0.2],
  [/^\s*listen\s+[^\n]*;/m, 0.1],
  [/^[^#\n]*;[ \t]*(#[^\n]*)?\r?$/m, 0.1],
  [/^\s*(map|geo|split_clients)\s+\S+\s+\S+\s*\{/m, 0.3],
  // A word opening a block with a brace at the end of its line: no other format here writes that.
  [/^[ \t]*[a-z_]+([ \t]+[^\s{;#]+)*[ \t]*\{[ \t]*\r?$/m, 0.3],
]

export function detectNginx(file: string, text: string): number {
  let score = /nginx|sites-(available|enabled)|conf\.d/i.test(file) ? 0.3 : 0
  for (const [hint, weight] of HINTS) if (hint.test(text)) score += weight
  return Math.min(1, score)
}

export const nginx: EngineDescriptor = {
  name: 'nginx',
  detect: detectNginx,
  host: {remotePath: '/etc/nginx/nginx.conf', reload: 'systemctl reload nginx', validate: 'nginx -t -c {file}', check: 'systemctl is-active --quiet nginx', accessLog: '/var/log/nginx/access.log'},
  packages: {apt: 'nginx', rpm: 'nginx', service: 'nginx'},
  binary: 'nginx',
  validator: 'nginx -t',
  starter: {
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
  load: async () => (await import('./engine.js')).nginxEngine,
}
