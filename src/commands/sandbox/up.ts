import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {renderSandbox} from '../../command-support/sandbox-view.js'
import {sandboxUpWithTls, type TlsUpResult} from '../../services/sandbox-tls.js'

const net = (summary: string) => Flags.string({summary, helpGroup: 'LAYOUT'})
const port = (summary: string) => Flags.integer({summary, min: 1, max: 65_535, helpGroup: 'LAYOUT'})

export default class SandboxUp extends HactlCommand<typeof SandboxUp> {
  static override summary = 'Start a whole HA proxy cluster on this machine (Linux only).'
  static override description = `Writes hactl.yaml (provider: local) and haproxy.cfg into --dir when they are not there yet, then starts one
background supervisor that runs: a real haproxy per proxy on 127.0.1.N, demo web backends on 127.0.3.N, one
forwarder per Elastic IP 127.0.2.N (sends each connection to the proxy the address is associated with) and an
authoritative DNS server for sandbox.test on 127.0.0.1. With --topology pairs the proxies run as active/passive
pairs (hactl:pair=pair-N), the two of a pair in two zones, and each pair keeps one Elastic IP. With --topology nlb there
are no Elastic IPs: one L4 balancer on 127.0.2.100 spreads new connections over the proxies that pass its own health
checks (balancer: in hactl.yaml), and a local auto scaling group launches a replacement for a terminated proxy. The layout flags apply when the files are written;
afterwards edit local: in hactl.yaml. Running it again on a running sandbox changes nothing.
With --tls it also makes a local CA and a certificate for www.sandbox.test in tls-ca/ and adds it with
\`hactl tls add\`, so every proxy and address answers HTTPS on port 443 (--tls-port).`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dir sandbox --proxies 3 --backends 4',
    '<%= config.bin %> <%= command.id %> --dir pairs --topology pairs    # 6 proxies in 3 zones, 3 pairs, 3 Elastic IPs',
    '<%= config.bin %> <%= command.id %> --dir nlb --topology nlb    # 3 proxies behind a balancer on 127.0.2.100',
    '<%= config.bin %> <%= command.id %> --tls',
    '<%= config.bin %> <%= command.id %> --dir sb2 --proxy-net 127.20.1 --address-net 127.20.2 --backend-net 127.20.3 --dns-port 5354',
  ]

  static override flags = {
    dir: Flags.string({summary: 'Folder for hactl.yaml, haproxy.cfg and the sandbox state.', default: '.'}),
    topology: Flags.string({
      summary: 'pool: one Elastic IP per proxy; pairs: active/passive pairs of proxies across two zones, one Elastic IP per pair; nlb: an L4 balancer in front, no Elastic IPs.',
      options: ['pool', 'pairs', 'nlb'],
      default: 'pool',
    }),
    proxies: Flags.integer({summary: 'Proxy instances (and Elastic IPs; one per pair with --topology pairs). Default: 3, or 6 (three pairs) with --topology pairs.', min: 1, max: 50}),
    backends: Flags.integer({summary: 'Demo web backends.', default: 4, min: 1, max: 50}),
    engine: Flags.string({summary: 'Proxy software (the sandbox runs haproxy).', options: ['haproxy'], default: 'haproxy'}),
    name: Flags.string({summary: 'Cluster name.', default: 'sandbox'}),
    'proxy-net': net('First three octets of the proxies\' private addresses.'),
    'address-net': net('First three octets of the Elastic IPs.'),
    'backend-net': net('First three octets of the demo backends.'),
    'proxy-port': port('Port the proxies and Elastic IPs listen on.'),
    'backend-port': port('Port of the demo backends.'),
    'dns-port': port('Port of the DNS server on 127.0.0.1.'),
    'hold-down': Flags.integer({summary: 'Failover hold-down in ms written to hactl.yaml.', min: 0, helpGroup: 'LAYOUT'}),
    'replace-after': Flags.integer({summary: 'Write failover.replace to hactl.yaml: the monitor replaces a proxy dead this many ms.', min: 1000, helpGroup: 'LAYOUT'}),
    tls: Flags.boolean({summary: 'Serve HTTPS too: a local CA and a certificate for www.sandbox.test, added with tls add.'}),
    'tls-port': port('HTTPS port of the proxies and Elastic IPs with --tls (default 443).'),
  }

  public async run(): Promise<TlsUpResult> {
    const f = this.flags
    const result = await sandboxUpWithTls({
      tls: f.tls || f['tls-port'] !== undefined,
      dir: f.dir,
      dryRun: f['dry-run'],
      reporter: this.reporter,
      layout: {
        name: f.name,
        topology: f.topology === 'pairs' || f.topology === 'nlb' ? f.topology : 'pool',
        ...(f.proxies !== undefined && {proxies: f.proxies}),
        backends: f.backends,
        ...(f['proxy-net'] && {proxyNet: f['proxy-net']}),
        ...(f['address-net'] && {addressNet: f['address-net']}),
        ...(f['backend-net'] && {backendNet: f['backend-net']}),
        ...(f['proxy-port'] && {proxyPort: f['proxy-port']}),
        ...(f['backend-port'] && {backendPort: f['backend-port']}),
        ...(f['dns-port'] && {dnsPort: f['dns-port']}),
        ...(f['hold-down'] !== undefined && {holdDownMs: f['hold-down']}),
        ...(f['replace-after'] !== undefined && {replaceAfterMs: f['replace-after']}),
        ...(f['tls-port'] && {tlsPort: f['tls-port']}),
      },
    })
    if (result.dryRun) {
      for (const file of result.wrote) this.log(`would write ${file}`)
      this.log(result.alreadyRunning ? 'the sandbox is already running: nothing to do' : `would start the sandbox of ${result.clusterFile}`)
      return result
    }
    if (result.alreadyRunning) this.log('the sandbox is already running: nothing changed\n')
    this.log(renderSandbox(result, this.terminal))
    if (result.tls) this.log(`\nhttps on port ${result.tls.port}: ${result.tls.summary}; local CA ${result.tls.ca}`)
    this.log(`\nTry:\n${result.next.map((n) => `  ${n}`).join('\n')}`)
    return result
  }
}
