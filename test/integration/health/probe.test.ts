import {expect} from 'chai'

import {probe} from '../../../src/health/probe.js'
import {freePort} from '../../harness/ports.js'
import {selfSignedCert, startRude, startTlsWeb, startWeb, type WebServer} from '../../harness/web.js'

describe('health probes against real local servers', () => {
  const servers: WebServer[] = []
  after(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })
  const keep = (s: WebServer): WebServer => (servers.push(s), s)

  it('an http probe passes on a 200 and sends the Host header it was given', async () => {
    const web = keep(await startWeb((_req, res) => res.end('ok')))
    const result = await probe({kind: 'http', address: '127.0.0.1', port: web.port, path: '/healthz', host: 'www.example.test', timeoutMs: 1000})
    expect(result).to.include({ok: true, detail: 'HTTP 200'})
    expect(web.seen.at(-1)?.host).to.equal('www.example.test')
  })

  it('an http probe fails on a status outside the expected range and says which', async () => {
    const web = keep(await startWeb((_req, res) => {
      res.statusCode = 503
      res.end('down')
    }))
    const result = await probe({kind: 'http', address: '127.0.0.1', port: web.port, expectStatus: '200-399', timeoutMs: 1000})
    expect(result).to.include({ok: false, detail: 'HTTP 503, expected 200-399'})
    const accepted = await probe({kind: 'http', address: '127.0.0.1', port: web.port, expectStatus: '503', timeoutMs: 1000})
    expect(accepted.ok).to.equal(true)
  })

  it('an http probe checks the body for the expected text', async () => {
    const web = keep(await startWeb((_req, res) => res.end('status: degraded\n')))
    const bad = await probe({kind: 'http', address: '127.0.0.1', port: web.port, expectBody: 'status: ok', timeoutMs: 1000})
    expect(bad).to.include({ok: false, detail: 'HTTP 200, body lacks "status: ok"'})
    const good = await probe({kind: 'http', address: '127.0.0.1', port: web.port, expectBody: 'degraded', timeoutMs: 1000})
    expect(good.ok).to.equal(true)
  })

  it('a probe of a server that accepts and never answers fails at its timeout', async () => {
    const rude = keep(await startRude('hang'))
    const result = await probe({kind: 'http', address: '127.0.0.1', port: rude.port, timeoutMs: 200})
    expect(result).to.include({ok: false, detail: 'timed out after 200 ms'})
    // Honoured, not merely reported: well under the default socket timeouts.
    expect(result.latencyMs).to.be.below(5000)
  })

  it('a probe of a server that resets the connection fails with "connection reset"', async () => {
    const rude = keep(await startRude('reset'))
    const result = await probe({kind: 'http', address: '127.0.0.1', port: rude.port, timeoutMs: 1000})
    expect(result).to.include({ok: false, detail: 'connection reset'})
  })

  it('tcp and http probes of a closed port fail with "connection refused"', async () => {
    const port = await freePort()
    for (const kind of ['tcp', 'http'] as const) {
      const result = await probe({kind, address: '127.0.0.1', port, timeoutMs: 1000})
      expect(result).to.include({ok: false, detail: 'connection refused'})
    }
  })

  it('a tcp probe passes when the port accepts', async () => {
    const rude = keep(await startRude('hang'))
    expect(await probe({kind: 'tcp', address: '127.0.0.1', port: rude.port, timeoutMs: 1000})).to.include({ok: true, detail: 'connected'})
  })

  describe('https', () => {
    let tls: WebServer
    before(async () => {
      tls = keep(await startTlsWeb((_req, res) => res.end('ok'), await selfSignedCert('proxy.test')))
    })

    it('refuses a self-signed certificate unless insecure is set', async () => {
      const strict = await probe({kind: 'https', address: '127.0.0.1', port: tls.port, host: 'proxy.test', timeoutMs: 2000})
      expect(strict.ok).to.equal(false)
      expect(strict.detail).to.match(/SELF_SIGNED|self.signed/i)
      const insecure = await probe({kind: 'https', address: '127.0.0.1', port: tls.port, host: 'proxy.test', insecure: true, timeoutMs: 2000})
      expect(insecure).to.include({ok: true, detail: 'HTTP 200'})
    })

    it('sends the host as TLS server name (SNI) and Host header', async () => {
      await probe({kind: 'https', address: '127.0.0.1', port: tls.port, host: 'proxy.test', insecure: true, timeoutMs: 2000})
      expect(tls.seen.at(-1)).to.deep.equal({host: 'proxy.test', servername: 'proxy.test'})
    })

    it('times out on a TLS port that never completes the handshake', async () => {
      const rude = keep(await startRude('hang'))
      const result = await probe({kind: 'https', address: '127.0.0.1', port: rude.port, insecure: true, timeoutMs: 200})
      expect(result).to.include({ok: false, detail: 'timed out after 200 ms'})
    })
  })
})
