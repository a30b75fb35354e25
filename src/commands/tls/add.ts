import {Args, Flags} from '@oclif/core'

import {ConfigEditCommand} from '../../command-support/config-edit-command.js'
import {editFlags} from '../../command-support/config-flags.js'
import {TLS_MIN_VERSIONS} from '../../proxy-config/tls.js'
import type {EditAndPushResult} from '../../services/edit-and-push.js'
import {addTls} from '../../services/tls.js'

export default class TlsAdd extends ConfigEditCommand<typeof TlsAdd> {
  static override summary = 'Terminate TLS on the proxies with a certificate.'
  static override description = `Checks that the key belongs to the certificate, that each chain certificate signed the one before it,
that the certificate is valid now and names every host of --hosts; anything else exits 2 and changes nothing.
Stores certificate, chain and key as one file, hactl-tls/NAME.pem beside the config (0600), and writes the
engine's TLS listener: haproxy \`bind :443 ssl crt hactl-tls/\` (the certificate chosen by SNI), nginx
\`listen 443 ssl\` with ssl_certificate/ssl_certificate_key in the server blocks of those hosts, pound a
ListenHTTPS with one Cert line per certificate (the Services shared at the top level), perlbal a TLS service
beside the plain one (one certificate per port; no --redirect-http). pound and perlbal get the certificate's
absolute path on the hosts, so their hosts must keep their configs in one folder. TLS 1.2 and
newer unless --min-version says otherwise. The config is checked with the proxy's own validator with the
certificate in place, then rolled out with the certificate files. Adding the same certificate again changes nothing.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> www --cert www.crt --key www.key --chain intermediate.pem',
    '<%= config.bin %> <%= command.id %> www --cert www.crt --key www.key --hosts www.example.com --redirect-http --dry-run',
  ]

  static override args = {
    name: Args.string({required: true, description: 'Certificate name: its file is hactl-tls/NAME.pem.'}),
  }

  static override flags = {
    ...editFlags,
    cert: Flags.string({summary: 'The certificate (PEM); may hold the chain after it.', required: true, helpValue: 'FILE'}),
    key: Flags.string({summary: 'Its private key (PEM, unencrypted).', required: true, helpValue: 'FILE'}),
    chain: Flags.string({summary: 'Intermediate certificates (PEM), each followed by the one that signed it.', helpValue: 'FILE'}),
    hosts: Flags.string({summary: 'Host names to serve it for (default: every name in the certificate).', helpValue: 'a.example.com,b.example.com'}),
    'redirect-http': Flags.boolean({summary: 'Answer plain HTTP with a 301 to https.'}),
    port: Flags.integer({summary: 'HTTPS port (default: tls.port in the cluster file, 443).', min: 1, max: 65_535}),
    'min-version': Flags.option({summary: 'Oldest TLS version accepted.', options: TLS_MIN_VERSIONS, default: 'TLSv1.2'})(),
    ciphers: Flags.string({summary: "Cipher list in the engine's syntax (default: the engine's own)."}),
    frontend: Flags.string({summary: 'The frontend (haproxy), server block (nginx), ListenHTTP ADDRESS:PORT (pound) or service (perlbal) to serve it beside, when hactl cannot tell.'}),
  }

  public async run(): Promise<EditAndPushResult> {
    const f = this.flags
    const hosts = f.hosts?.split(',').map((h) => h.trim()).filter(Boolean)
    return this.editWith((common) =>
      addTls({
        ...common,
        name: this.args.name,
        cert: f.cert,
        key: f.key,
        chain: f.chain,
        hosts,
        redirectHttp: f['redirect-http'],
        port: f.port,
        minVersion: f['min-version'],
        ciphers: f.ciphers,
        frontend: f.frontend,
      }),
    )
  }
}
