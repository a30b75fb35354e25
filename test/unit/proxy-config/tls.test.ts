import {expect} from 'chai'
import {mkdir, mkdtemp, readFile, readdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {isHactlError} from '../../../src/errors.js'
import {checkPair} from '../../../src/proxy-config/certificate.js'
import type {ConfigDocument, Engine} from '../../../src/proxy-config/engine.js'
import {findBinary} from '../../../src/proxy-config/binary.js'
import {haproxyEngine} from '../../../src/proxy-config/haproxy/engine.js'
import {nginxEngine} from '../../../src/proxy-config/nginx/engine.js'
import {TLS_DIR, withPort, type TlsSpec} from '../../../src/proxy-config/tls.js'
import {writePrivate} from '../../../src/services/companion-files.js'
import {makeLocalCertificates, type LocalCertificates} from '../../../src/sandbox/certificates.js'
import {ROOT} from '../../harness/cli.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures')
const engines = {haproxy: haproxyEngine, nginx: nginxEngine} as unknown as Record<string, Engine<ConfigDocument>>

async function pairFiles(made: LocalCertificates): Promise<{cert: {file: string; text: string}; key: {file: string; text: string}}> {
  return {cert: {file: made.cert, text: await readFile(made.cert, 'utf8')}, key: {file: made.key, text: await readFile(made.key, 'utf8')}}
}

function usageMessage(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (isHactlError(error)) return `${error.exitCode} ${error.message}`
    throw error
  }
  return 'no error'
}

describe('tls add: every engine fixture is accepted by the real binary with its certificate in place', function () {
  this.timeout(60_000)
  let certs: string

  before(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-tls-unit-'))
    certs = path.join(dir, TLS_DIR)
    for (const [name, hosts] of [['www', ['www.example.com', 'example.com']], ['api', ['api.example.com']], ['wild', ['*.example.com']]] as const) {
      const made = await makeLocalCertificates(path.join(dir, `ca-${name}`), name, hosts, 30)
      const checked = checkPair({...(await pairFiles(made)), hosts: [...hosts]})
      await mkdir(certs, {recursive: true, mode: 0o700})
      await writePrivate(path.join(certs, `${name}.pem`), checked.pem)
    }
  })

  for (const engine of ['haproxy', 'nginx'] as const) {
    const binary = engine === 'haproxy' ? 'haproxy' : 'nginx'
    it(`${engine}: tls fixtures validate with \`${binary}\` (skipped where it is not installed)`, async function () {
      if (!findBinary(binary)) this.skip()
      const cases = (await readdir(path.join(FIXTURES, engine))).filter((c) => c.startsWith('tls-'))
      expect(cases.length).to.be.greaterThan(1)
      for (const c of cases) {
        const text = await readFile(path.join(FIXTURES, engine, c, 'expected'), 'latin1')
        // haproxy -c refuses a file without a final newline; the fixture keeps the input's missing one on purpose.
        const checked = text.endsWith('\n') ? text : `${text}\n`
        const result = await engines[engine].validate(checked, {file: `${c}.conf`, companions: {[TLS_DIR]: certs}})
        expect(result.ok, `${c}: ${result.output}`).to.equal(true)
        expect(result.validator).to.match(engine === 'haproxy' ? /^haproxy -c$/ : /^nginx -t/)
        // And without the certificates the same text is refused: the check really looked at them.
        const without = await engines[engine].validate(checked, {file: `${c}.conf`})
        expect(without.ok, `${c} validated without its certificates`).to.equal(false)
      }
    })
  }

  it('nginx: tls remove gives back the input of every fixture byte for byte', async () => {
    for (const c of (await readdir(path.join(FIXTURES, 'nginx'))).filter((n) => n.startsWith('tls-add'))) {
      const {args} = JSON.parse(await readFile(path.join(FIXTURES, 'nginx', c, 'edit'), 'utf8')) as {args: [TlsSpec]}
      const doc = nginxEngine.parse(await readFile(path.join(FIXTURES, 'nginx', c, 'expected'), 'latin1'), 'expected')
      expect(nginxEngine.tls!.removeTls(doc, {name: args[0].name, remaining: []}).changed).to.equal(true)
      expect(doc.serialize()).to.equal(await readFile(path.join(FIXTURES, 'nginx', c, 'input'), 'latin1'))
      // And adding it again changes nothing.
      expect(nginxEngine.tls!.addTls(nginxEngine.parse(await readFile(path.join(FIXTURES, 'nginx', c, 'expected'), 'latin1'), 'e'), args[0]).changed).to.equal(false)
    }
  })

  it('haproxy: a second certificate needs no new line; removing one of two keeps the listener', () => {
    const text = 'frontend www\n    bind :80\n    default_backend web\n\nbackend web\n    server a 127.0.0.1:1\n'
    const doc = haproxyEngine.parse(text, 'h.cfg')
    const spec = {name: 'www', hosts: ['www.example.com'], port: 443, redirectHttp: false, minVersion: 'TLSv1.2' as const}
    expect(haproxyEngine.tls!.addTls(doc, spec).changed).to.equal(true)
    const once = doc.serialize()
    expect(haproxyEngine.tls!.addTls(doc, {...spec, name: 'api'}).changed).to.equal(false)
    expect(haproxyEngine.tls!.removeTls(doc, {name: 'api', remaining: ['www']}).changed).to.equal(false)
    expect(doc.serialize()).to.equal(once)
    expect(haproxyEngine.tls!.listTls(doc)).to.deep.equal([{name: '', frontend: 'www', hosts: [], port: 443, line: 5}])
    expect(haproxyEngine.tls!.removeTls(doc, {name: 'www', remaining: []}).changed).to.equal(true)
    expect(doc.serialize()).to.equal(text)
  })

  it('haproxy: a global that sets another default-path is refused with its line (exit 2)', () => {
    const doc = haproxyEngine.parse('global\n    default-path origin /srv\nfrontend www\n    bind :80\n', 'h.cfg')
    expect(usageMessage(() => haproxyEngine.tls!.addTls(doc, {name: 'www', hosts: [], port: 443, redirectHttp: false, minVersion: 'TLSv1.2'}))).to.match(/^2 global in h\.cfg sets default-path origin \/srv/)
  })

  it('nginx: no server block for the hosts is refused (exit 2), naming the blocks there', () => {
    const doc = nginxEngine.parse('http {\n  server { listen 80; server_name a.test; }\n  server { listen 80; server_name b.test; }\n}\n', 'n.conf')
    expect(usageMessage(() => nginxEngine.tls!.addTls(doc, {name: 'c', hosts: ['c.test'], port: 443, redirectHttp: false, minVersion: 'TLSv1.2'}))).to.match(/^2 n\.conf has no server block for c\.test/)
  })

  it('listen and bind addresses keep their form with the new port', () => {
    expect([':80', '*:80', '80', '[::]:80', '"${A}:80"', '127.0.0.1:8080', 'localhost'].map((a) => withPort(a, 443))).to.deep.equal([':443', '*:443', '443', '[::]:443', '"${A}:443"', '127.0.0.1:443', 'localhost:443'])
  })
})

describe('tls add: certificate checks refuse before anything changes (exit 2)', function () {
  this.timeout(60_000)
  let www: LocalCertificates
  let other: LocalCertificates

  before(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-tls-check-'))
    www = await makeLocalCertificates(path.join(dir, 'www'), 'www', ['www.example.com'], 30)
    other = await makeLocalCertificates(path.join(dir, 'other'), 'other', ['other.example.com'], 30)
  })

  it('a matching pair with its CA as chain is one PEM: certificate, chain, key', async () => {
    const files = await pairFiles(www)
    const checked = checkPair({...files, chain: {file: www.caCert, text: await readFile(www.caCert, 'utf8')}, hosts: ['www.example.com']})
    expect(checked.leaf.names).to.deep.equal(['www.example.com'])
    expect(checked.pem.match(/-----BEGIN [A-Z ]+-----/g)).to.deep.equal(['-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----'])
  })

  it('names what is wrong: the wrong key, a chain out of order, a host not covered, expired, not yet valid', async () => {
    const files = await pairFiles(www)
    const otherKey = {file: other.key, text: await readFile(other.key, 'utf8')}
    const wrongChain = {file: other.caCert, text: await readFile(other.caCert, 'utf8')}
    expect(usageMessage(() => checkPair({...files, key: otherKey, hosts: []}))).to.match(/^2 .*other\.key: is not the key of the certificate/)
    expect(usageMessage(() => checkPair({...files, chain: wrongChain, hosts: []}))).to.match(/^2 .*ca\.crt: the chain is out of order/)
    expect(usageMessage(() => checkPair({...files, hosts: ['api.example.com']}))).to.match(/does not cover api\.example\.com \(it names www\.example\.com\)/)
    expect(usageMessage(() => checkPair({...files, hosts: [], now: new Date(Date.now() + 40 * 86_400_000)}))).to.match(/expired on/)
    expect(usageMessage(() => checkPair({...files, hosts: [], now: new Date(Date.now() - 2 * 86_400_000)}))).to.match(/is not valid before/)
    expect(usageMessage(() => checkPair({...files, key: {file: 'k.pem', text: 'nothing'}, hosts: []}))).to.match(/k\.pem: holds no PEM private key/)
  })
})
