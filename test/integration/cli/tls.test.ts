import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {findBinary} from '../../../src/proxy-config/binary.js'
import {makeLocalCertificates, type LocalCertificates} from '../../../src/sandbox/certificates.js'
import {hactl} from '../../harness/cli.js'

const HAPROXY = `global
    maxconn 100

defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s

frontend www
    bind 127.0.0.1:80
    default_backend web

backend web
    server web1 127.0.0.1:8081
`

describe('tls add|remove|list on a config file (--file)', function () {
  this.timeout(120_000)
  let dir: string
  let www: LocalCertificates
  let config: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-tls-cli-'))
    www = await makeLocalCertificates(path.join(dir, 'ca'), 'www', ['www.example.com'], 30)
  })

  beforeEach(async () => {
    config = path.join(await mkdtemp(path.join(dir, 'site-')), 'haproxy.cfg')
    await writeFile(config, HAPROXY)
  })

  it('--dry-run prints the diff and the certificate file it would write, and writes nothing', async () => {
    const {code, stdout, stderr} = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--file', config, '--dry-run'])
    expect(code, stderr).to.equal(0)
    expect(stdout).to.include('+    bind 127.0.0.1:443 ssl crt hactl-tls/ ssl-min-ver TLSv1.2 alpn h2,http/1.1')
    expect(stdout).to.match(/^\+ \S*hactl-tls\/www\.pem \(www\.example\.com; not after \S+; sha256 [0-9A-F:]+…; 0600\)$/m)
    expect(stdout).to.match(/^dry run: /m)
    expect(await readFile(config, 'utf8')).to.equal(HAPROXY)
    expect(existsSync(path.join(path.dirname(config), 'hactl-tls'))).to.equal(false)
  })

  it('writes the key 0600 beside the config, is idempotent, and remove gives back the original bytes', async () => {
    const add = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--chain', www.caCert, '--file', config, '--json'])
    expect(add.code, add.stderr).to.equal(0)
    const result = JSON.parse(add.stdout) as {changed: boolean; written: boolean; validation: {validator: string}; files: {action: string}[]}
    expect(result).to.include({changed: true, written: true})
    expect(result.validation.validator).to.equal('haproxy -c')
    expect(result.files.map((f) => f.action)).to.deep.equal(['write'])
    const pem = path.join(path.dirname(config), 'hactl-tls', 'www.pem')
    expect((await stat(pem)).mode & 0o777).to.equal(0o600)
    expect((await stat(path.dirname(pem))).mode & 0o777).to.equal(0o700)
    expect((await readFile(pem, 'utf8')).match(/-----BEGIN [A-Z ]+-----/g)).to.have.length(3)
    const again = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--chain', www.caCert, '--file', config])
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.match(/^unchanged: /)
    const list = await hactl(['tls', 'list', '--file', config])
    expect(list.stdout).to.match(/^www\twww\.example\.com\t\d{4}-\d\d-\d\d\t\d+\t[0-9A-F:]{95}\twww$/m)
    const remove = await hactl(['tls', 'remove', 'www', '--file', config])
    expect(remove.code, remove.stderr).to.equal(0)
    expect(await readFile(config, 'utf8')).to.equal(HAPROXY)
    expect(existsSync(pem)).to.equal(false)
  })

  it('a key that is not the certificate\'s, or a host it does not name, exits 2 and changes nothing', async () => {
    const other = await makeLocalCertificates(path.join(dir, 'other'), 'other', ['other.example.com'], 30)
    const wrongKey = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', other.key, '--file', config])
    expect(wrongKey.code).to.equal(2)
    expect(wrongKey.stderr).to.include('is not the key of the certificate')
    const host = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--hosts', 'api.example.com', '--file', config])
    expect(host.code).to.equal(2)
    expect(host.stderr).to.include('does not cover api.example.com')
    expect(await readFile(config, 'utf8')).to.equal(HAPROXY)
    expect(existsSync(path.join(path.dirname(config), 'hactl-tls'))).to.equal(false)
  })

  it('a cipher list haproxy refuses is exit 3, and neither the config nor the certificate is written', async () => {
    const {code, stderr} = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--ciphers', 'NO-SUCH-CIPHER', '--file', config])
    expect(code).to.equal(3)
    expect(stderr).to.include('unable to set SSL cipher list')
    expect(await readFile(config, 'utf8')).to.equal(HAPROXY)
    expect(existsSync(path.join(path.dirname(config), 'hactl-tls', 'www.pem'))).to.equal(false)
  })

  it('pound: ListenHTTPS with the Cert in pound\'s usual folder, listed, and removed to the original bytes', async () => {
    const pound = path.join(path.dirname(config), 'pound.cfg')
    const text = 'ListenHTTP\n    Address 127.0.0.1\n    Port 80\n    Service "web"\n        BackEnd\n            Address 127.0.0.1\n            Port 8081\n        End\n    End\nEnd\n'
    await writeFile(pound, text)
    const add = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--file', pound, '--engine', 'pound', '--redirect-http'])
    expect(add.code, add.stderr).to.equal(0)
    const written = await readFile(pound, 'utf8')
    // --file: no cluster file names the hosts' folder, so pound's usual one.
    expect(written).to.include('    Cert "/etc/pound/hactl-tls/www.pem"\n')
    expect(written).to.include('    Redirect 301 "https://www.example.com"\n')
    expect((await stat(path.join(path.dirname(pound), 'hactl-tls', 'www.pem'))).mode & 0o777).to.equal(0o600)
    const list = await hactl(['tls', 'list', '--file', pound, '--engine', 'pound'])
    expect(list.stdout).to.match(/^www\twww\.example\.com\t\d{4}-\d\d-\d\d\t\d+\t[0-9A-F:]{95}\tListenHTTPS 127\.0\.0\.1:443$/m)
    const again = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--file', pound, '--engine', 'pound', '--redirect-http'])
    expect(again.stdout).to.match(/^unchanged: /)
    const remove = await hactl(['tls', 'remove', 'www', '--file', pound, '--engine', 'pound'])
    expect(remove.code, remove.stderr).to.equal(0)
    expect(await readFile(pound, 'utf8')).to.equal(text)
  })

  it('perlbal: a TLS service started by perlbal itself with the certificate; --redirect-http and a second certificate are exit 2', async () => {
    const perlbal = path.join(path.dirname(config), 'perlbal.conf')
    const text = 'CREATE POOL web\n  POOL web ADD 127.0.0.1:8081\nCREATE SERVICE www\n  SET role = reverse_proxy\n  SET listen = 127.0.0.1:80\n  SET pool = web\nENABLE www\n'
    await writeFile(perlbal, text)
    const redirect = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--file', perlbal, '--redirect-http'])
    expect(redirect.code).to.equal(2)
    expect(redirect.stderr).to.include('perlbal cannot answer plain HTTP with a redirect to https')
    expect(await readFile(perlbal, 'utf8')).to.equal(text)
    const add = await hactl(['tls', 'add', 'www', '--cert', www.cert, '--key', www.key, '--file', perlbal, '--json'])
    expect(add.code, add.stderr).to.equal(0)
    const result = JSON.parse(add.stdout) as {validation: {validator: string}}
    expect(result.validation.validator).to.equal(findBinary('perlbal') ? 'perlbal (trial start on loopback)' : 'structural')
    expect(await readFile(perlbal, 'utf8')).to.include('  SET ssl_cert_file = /etc/perlbal/hactl-tls/www.pem\n')
    const second = await hactl(['tls', 'add', 'api', '--cert', www.cert, '--key', www.key, '--file', perlbal])
    expect(second.code).to.equal(2)
    expect(second.stderr).to.match(/perlbal\.conf:10: perlbal serves one certificate per service and has no SNI/)
    expect(second.stderr).to.include('--port N')
    // hactl validate gives perlbal the certificates beside the source, which the absolute paths name on the hosts.
    const yaml = path.join(path.dirname(perlbal), 'hactl.yaml')
    await writeFile(yaml, 'cluster: web\nprovider: static\nhosts:\n  - {name: p1, address: 127.0.0.1}\nproxy: {engine: perlbal, config: ./perlbal.conf}\n')
    const validate = await hactl(['validate', '-c', yaml])
    expect(validate.code, validate.stderr).to.equal(0)
    if (findBinary('perlbal')) expect(validate.stdout).to.include('perlbal (trial start on loopback)')
    const remove = await hactl(['tls', 'remove', 'www', '--file', perlbal])
    expect(remove.code, remove.stderr).to.equal(0)
    expect(await readFile(perlbal, 'utf8')).to.equal(text)
  })
})
