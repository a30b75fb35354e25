import {expect} from 'chai'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {checkPair} from '../../../src/proxy-config/certificate.js'
import {servedCertificate} from '../../../src/health/tls-probe.js'
import {makeLocalCertificates} from '../../../src/sandbox/certificates.js'
import {hactl} from '../../harness/cli.js'
import {freePort} from '../../harness/ports.js'
import {useProxyHosts, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'
import {waitFor} from '../../harness/wait.js'

/** The config with a TLS listener on 127.0.0.1:PORT reading hactl-tls/ beside the config. */
function withTls(config: string, port: number): string {
  return config.replace(/^global\n/, 'global\n    default-path config\n').replace('    bind unix@fe.sock\n', `    bind unix@fe.sock\n    bind 127.0.0.1:${port} ssl crt hactl-tls/\n`)
}

async function placePem(dir: string, name: string, host: string): Promise<string> {
  const made = await makeLocalCertificates(path.join(dir, `ca-${name}`), name, [host], 30)
  const checked = checkPair({cert: {file: made.cert, text: await readFile(made.cert, 'utf8')}, key: {file: made.key, text: await readFile(made.key, 'utf8')}, hosts: []})
  await mkdir(path.join(dir, 'hactl-tls'), {recursive: true, mode: 0o700})
  await writeFile(path.join(dir, 'hactl-tls', `${name}.pem`), checked.pem, {mode: 0o600})
  return checked.leaf.fingerprint
}

describe('config push over SSH carries the certificates to a real sshd and haproxy host', function () {
  this.timeout(120_000)
  const fixture = useProxyHosts(['t1'])
  let host: ProxyHost

  beforeEach(() => {
    host = fixture.hosts[0]
  })

  it('the host serves the source certificate after the push; a renewed one follows on the next push; tls check agrees', async () => {
    const port = await freePort()
    const dir = await writeCluster([host], withTls(fixture.v1, port))
    const first = await placePem(dir, 'www', 'www.example.test')
    const push = await hactl(['config', 'push'], {cwd: dir})
    expect(push.code, push.stderr + push.stdout).to.equal(0)
    await waitFor('the first certificate to be served', async () => (await servedCertificate('127.0.0.1', port, 'www.example.test', 1000)).fingerprint === first, 15_000)

    const renewed = await placePem(dir, 'www', 'www.example.test')
    const again = await hactl(['config', 'push', '--json'], {cwd: dir})
    expect(again.code, again.stderr).to.equal(0)
    expect((JSON.parse(again.stdout) as {hosts: {status: string}[]}).hosts.map((h) => h.status)).to.deep.equal(['updated'])
    await waitFor('the renewed certificate to be served', async () => (await servedCertificate('127.0.0.1', port, 'www.example.test', 1000)).fingerprint === renewed, 15_000)
    const check = await hactl(['tls', 'check'], {cwd: dir})
    expect(check.code, check.stdout + check.stderr).to.equal(0)
    expect(check.stdout).to.match(/^www\twww\.example\.test\tt1\t127\.0\.0\.1:\d+\tok\t/m)
  })
})
