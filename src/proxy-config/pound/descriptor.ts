import type {EngineDescriptor} from '../descriptor.js'

export function detectPound(file: string, text: string): number {
  let score = /pound/i.test(file) ? 0.4 : 0
  if (/^\s*ListenHTTPS?\b/im.test(text)) score += 0.4
  if (/^\s*BackEnd\s*$/im.test(text) || /^\s*Service\b/m.test(text)) score += 0.2
  if (/^\s*End\s*$/im.test(text)) score += 0.2
  return Math.min(1, score)
}

export const pound: EngineDescriptor = {
  name: 'pound',
  detect: detectPound,
  // pound logs through syslog (facility daemon).
  host: {remotePath: '/etc/pound/pound.cfg', reload: 'systemctl reload pound', validate: 'pound -c -f {file}', check: 'systemctl is-active --quiet pound', accessLog: '/var/log/syslog'},
  packages: {apt: 'pound', rpm: 'pound', service: 'pound'},
  binary: 'pound',
  // None that runs without its certificates: the structure is the check, and a missing binary is no problem.
  starter: {
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
  load: async () => (await import('./engine.js')).poundEngine,
}
