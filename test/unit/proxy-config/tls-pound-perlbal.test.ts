import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, readdir, writeFile} from 'node:fs/promises'
import {createServer as createHttpServer, type Server} from 'node:http'
import {request} from 'node:https'
import {createServer, type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {checkPair} from '../../../src/proxy-config/certificate.js'
import {findBinary} from '../../../src/proxy-config/binary.js'
import type {ConfigDocument, Engine} from '../../../src/proxy-config/engine.js'
import {perlbalEngine} from '../../../src/proxy-config/perlbal/engine.js'
import {poundEngine} from '../../../src/proxy-config/pound/engine.js'
import {TLS_DIR, type TlsSpec} from '../../../src/proxy-config/tls.js'
import {writePrivate} from '../../../src/services/companion-files.js'
import {makeLocalCertificates, type LocalCertificates} from '../../../src/sandbox/certificates.js'
import {ROOT} from '../../harness/cli.js'
import {poll} from '../../../src/util/poll.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures')
const engines = {pound: poundEngine, perlbal: perlbalEngine} as unknown as Record<string, Engine<ConfigDocument>>

async function addCases(engine: string): Promise<{name: string; input: string; expected: string; spec: TlsSpec}[]> {
  const out = []
  for (const c of (await readdir(path.join(FIXTURES, engine))).filter((n) => n.startsWith('tls-add')).sort()) {
    const expected = await readFile(path.join(FIXTURES, engine, c, 'expected'), 'latin1').catch(() => undefined)
    if (expected === undefined) continue
    const {args} = JSON.parse(await readFile(path.join(FIXTURES, engine, c, 'edit'), 'utf8')) as {args: [TlsSpec]}
    out.push({name: c, input: await readFile(path.join(FIXTURES, engine, c, 'input'), 'latin1'), expected, spec: args[0]})
  }
  return out
}

describe('tls on pound and perlbal: lossless, re-readable, idempotent', () => {
  for (const engine of ['pound', 'perlbal'] as const) {
    it(`${engine}: every tls-add fixture re-parses to the same backends, lists its certificate, adds again as a no-op, and removes to the input byte for byte`, async () => {
      const cases = await addCases(engine)
      expect(cases.length).to.be.greaterThan(1)
      const e = engines[engine]
      for (const c of cases) {
        const before = e.listBackends(e.parse(c.input, 'input'))
        const doc = e.parse(c.expected, 'expected')
        // The document parser reads the output: the same backends and servers (lines aside), and the certificate bound.
        const after = e.listBackends(doc)
        const strip = (list: typeof before): unknown => list.map((b) => ({name: b.name, servers: b.servers.map((s) => `${s.address}:${s.port ?? ''}`)}))
        expect(strip(after), c.name).to.deep.equal(strip(before))
        expect(e.tls!.listTls(doc).map((b) => b.name), c.name).to.include(c.spec.name)
        expect((await e.validate(c.expected, {file: c.name, structuralOnly: true})).ok, c.name).to.equal(true)
        expect(e.tls!.addTls(doc, c.spec).changed, `${c.name}: again`).to.equal(false)
        const remaining = e.tls!.listTls(doc).map((b) => b.name).filter((n) => n !== c.spec.name)
        expect(e.tls!.removeTls(doc, {name: c.spec.name, remaining}).changed, c.name).to.equal(true)
        expect(doc.serialize(), `${c.name}: remove`).to.equal(c.input)
      }
    })
  }

  it('pound: two certificates are two Cert lines; removing one keeps the listener, removing both gives back the file', () => {
    const input = 'ListenHTTP\n  Address 127.0.0.1\n  Port 80\n  Service\n    BackEnd\n      Address 127.0.0.1\n      Port 8081\n    End\n  End\nEnd'
    const doc = poundEngine.parse(input, 'p.cfg')
    const spec = {name: 'www', hosts: ['www.example.com'], port: 443, redirectHttp: true, minVersion: 'TLSv1.2' as const, folder: '/etc/pound'}
    poundEngine.tls!.addTls(doc, spec)
    poundEngine.tls!.addTls(doc, {...spec, name: 'api', hosts: ['api.example.com'], redirectHttp: false})
    expect(poundEngine.tls!.listTls(doc).map((b) => [b.name, b.frontend, b.port])).to.deep.equal([
      ['www', 'ListenHTTPS 127.0.0.1:443', 443],
      ['api', 'ListenHTTPS 127.0.0.1:443', 443],
    ])
    expect(doc.serialize()).to.match(/^ {2}Cert "\/etc\/pound\/hactl-tls\/www\.pem"\n {2}Cert "\/etc\/pound\/hactl-tls\/api\.pem"\n/m)
    expect(poundEngine.tls!.removeTls(doc, {name: 'www', remaining: ['api']}).changed).to.equal(true)
    expect(doc.serialize()).to.include('ListenHTTPS')
    expect(doc.serialize()).to.not.include('www.pem')
    expect(poundEngine.tls!.removeTls(doc, {name: 'api', remaining: []}).changed).to.equal(true)
    // The redirect of the first certificate goes with the listener.
    expect(doc.serialize()).to.equal(input)
  })

  it('pound: Services indented oddly move as written and come back as written', () => {
    const input = 'ListenHTTP\n    Address 0.0.0.0\n    Port 80\n    Service\n  # odd comment\n        BackEnd\n            Address 10.0.0.1\n            Port 80\n        End\n    End\nEnd\n'
    const doc = poundEngine.parse(input, 'p.cfg')
    poundEngine.tls!.addTls(doc, {name: 'www', hosts: [], port: 443, redirectHttp: false, minVersion: 'TLSv1.2', folder: '/etc/pound'})
    expect(doc.serialize()).to.include('(moved as written)')
    poundEngine.tls!.removeTls(doc, {name: 'www', remaining: []})
    expect(doc.serialize()).to.equal(input)
  })

  it('text that would break out of a quoted pound string or a perlbal SET line is refused (exit 2), the document untouched', () => {
    const pound = 'ListenHTTP\n  Address 127.0.0.1\n  Port 80\nEnd\n'
    const perlbal = 'CREATE POOL web\nCREATE SERVICE www\n  SET role = reverse_proxy\n  SET listen = 0.0.0.0:80\n  SET pool = web\nENABLE www\n'
    const spec = {name: 'www', hosts: ['www.example.com'], port: 443, redirectHttp: false, minVersion: 'TLSv1.2' as const, folder: '/etc/x'}
    const cases: [Engine<ConfigDocument>, string, Partial<TlsSpec>, RegExp][] = [
      [poundEngine as unknown as Engine<ConfigDocument>, pound, {ciphers: 'HIGH" Address "1.2.3.4'}, /^2 --ciphers .* holds a quote/],
      [poundEngine as unknown as Engine<ConfigDocument>, pound, {folder: '/etc/a"b'}, /^2 the hosts' config folder .* holds a quote/],
      [poundEngine as unknown as Engine<ConfigDocument>, pound, {redirectHttp: true, hosts: ['a"b.example.com']}, /^2 "a"b\.example\.com" is not a host name/],
      [perlbalEngine as unknown as Engine<ConfigDocument>, perlbal, {ciphers: 'HIGH\nCREATE SERVICE evil'}, /^2 --ciphers holds a control character/],
    ]
    for (const [engine, text, change, expected] of cases) {
      const doc = engine.parse(text, 'f')
      let got = 'no error'
      try {
        engine.tls!.addTls(doc, {...spec, ...change})
      } catch (error) {
        got = `${(error as {exitCode: number}).exitCode} ${(error as Error).message}`
      }
      expect(got).to.match(expected)
      expect(doc.serialize()).to.equal(text)
    }
  })

  it('perlbal: a second certificate on the same port is refused with the clashing service\'s line; another port is a second service', () => {
    const input = 'CREATE POOL web\n  POOL web ADD 10.0.0.1:80\nCREATE SERVICE www\n  SET role = reverse_proxy\n  SET listen = 0.0.0.0:80\n  SET pool = web\nENABLE www\n'
    const doc = perlbalEngine.parse(input, 'p.conf')
    const spec = {name: 'www', hosts: [], port: 443, redirectHttp: false, minVersion: 'TLSv1.2' as const, folder: '/etc/perlbal'}
    perlbalEngine.tls!.addTls(doc, spec)
    let message = ''
    try {
      perlbalEngine.tls!.addTls(doc, {...spec, name: 'api'})
    } catch (error) {
      message = (error as {located: string; exitCode: number}).located + ` (exit ${(error as {exitCode: number}).exitCode})`
    }
    expect(message).to.match(/^p\.conf:10: perlbal serves one certificate per service and has no SNI: service www_tls already serves www on 0\.0\.0\.0:443 \(exit 2\)$/)
    expect(perlbalEngine.tls!.addTls(doc, {...spec, name: 'api', port: 8443}).changed).to.equal(true)
    expect(perlbalEngine.tls!.listTls(doc).map((b) => [b.name, b.frontend, b.port])).to.deep.equal([
      ['www', 'www_tls', 443],
      ['api', 'api_tls', 8443],
    ])
    perlbalEngine.tls!.removeTls(doc, {name: 'www', remaining: ['api']})
    perlbalEngine.tls!.removeTls(doc, {name: 'api', remaining: []})
    expect(doc.serialize()).to.equal(input)
  })
})

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function httpsGet(port: number, ca: string, servername: string): Promise<{status: number; body: string; subject: string}> {
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, path: '/hello', ca, servername, headers: {host: servername}, timeout: 5000}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      const subject = (res.socket as unknown as {getPeerCertificate(): {subject?: {CN?: string}}}).getPeerCertificate().subject?.CN ?? ''
      res.on('end', () => resolve({status: res.statusCode ?? 0, body, subject}))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

describe('perlbal: the TLS service really serves https (skipped where perlbal is not installed)', function () {
  this.timeout(90_000)
  let dir: string
  let made: LocalCertificates
  let backend: Server

  before(async function () {
    if (!findBinary('perlbal')) this.skip()
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-perlbal-tls-'))
    made = await makeLocalCertificates(path.join(dir, 'ca'), 'www', ['www.example.com'], 30)
    const checked = checkPair({cert: {file: made.cert, text: await readFile(made.cert, 'utf8')}, key: {file: made.key, text: await readFile(made.key, 'utf8')}, chain: {file: made.caCert, text: await readFile(made.caCert, 'utf8')}, hosts: []})
    await mkdir(path.join(dir, TLS_DIR), {mode: 0o700})
    await writePrivate(path.join(dir, TLS_DIR, 'www.pem'), checked.pem)
    backend = createHttpServer((req, res) => res.end(`backend saw ${req.url}`))
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
  })

  after(async () => {
    await new Promise((resolve) => backend?.close(resolve))
  })

  it('the validator starts it with the certificate beside the config and refuses it without', async () => {
    const doc = perlbalEngine.parse('CREATE POOL web\n  POOL web ADD 127.0.0.1:1\nCREATE SERVICE www\n  SET role = reverse_proxy\n  SET listen = 127.0.0.1:80\n  SET pool = web\nENABLE www\n', 'p.conf')
    perlbalEngine.tls!.addTls(doc, {name: 'www', hosts: [], port: 443, redirectHttp: false, minVersion: 'TLSv1.2', folder: '/etc/perlbal'})
    const ok = await perlbalEngine.validate(doc.serialize(), {file: 'p.conf', companions: {[TLS_DIR]: path.join(dir, TLS_DIR)}})
    expect(ok.ok, ok.output).to.equal(true)
    expect(ok.output).to.include('answered on 2 loopback port(s)')
    const without = await perlbalEngine.validate(doc.serialize(), {file: 'p.conf'})
    expect(without.ok).to.equal(false)
    expect(without.output).to.include("File '/etc/perlbal/hactl-tls/www.pem' not found for 'ssl_key_file'")
  })

  it('a request over TLS with the local CA reaches the pool through the rendered service', async () => {
    const [plainPort, tlsPort] = [await freePort(), await freePort()]
    const {port: backendPort} = backend.address() as AddressInfo
    const text = `CREATE POOL web\n  POOL web ADD 127.0.0.1:${backendPort}\nCREATE SERVICE www\n  SET role = reverse_proxy\n  SET listen = 127.0.0.1:${plainPort}\n  SET pool = web\nENABLE www\n`
    const doc = perlbalEngine.parse(text, 'perlbal.conf')
    // Rendered for hosts whose config folder is this one: the absolute path exists here.
    perlbalEngine.tls!.addTls(doc, {name: 'www', hosts: [], port: tlsPort, redirectHttp: false, minVersion: 'TLSv1.2', folder: dir})
    const conf = path.join(dir, 'perlbal.conf')
    await writeFile(conf, doc.serialize())
    const child = spawn(findBinary('perlbal')!, [`--config=${conf}`], {stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    try {
      const ca = await readFile(made.caCert, 'utf8')
      const got = await poll(() => httpsGet(tlsPort, ca, 'www.example.com').catch((error: Error) => ({status: 0, body: error.message, subject: ''})), (r) => r.status === 200, {timeoutMs: 30_000, delayMs: 200})
      expect(got.done, `${JSON.stringify(got.value)} ${output}`).to.equal(true)
      expect(got.value).to.deep.equal({status: 200, body: 'backend saw /hello', subject: 'www.example.com'})
    } finally {
      child.kill('SIGTERM')
    }
  })
})
