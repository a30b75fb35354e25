import {expect} from 'chai'
import {appendFile, readFile, writeFile} from 'node:fs/promises'
import {request} from 'node:https'
import path from 'node:path'

import {makeLocalCertificates} from '../../../src/sandbox/certificates.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'

/** One HTTPS request to an address, trusting only the sandbox's CA, with SNI for the name. */
async function httpsGet(address: string, port: number, ca: Buffer, servername = 'www.sandbox.test'): Promise<{status: number; proxy?: string; fingerprint?: string}> {
  return new Promise((resolve, reject) => {
    const req = request({host: address, port, path: '/', servername, ca, headers: {host: servername}, timeout: 5000, agent: false}, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.fingerprint256
      res.resume()
      res.on('end', () => resolve({status: res.statusCode ?? 0, proxy: res.headers['x-proxy'] as string | undefined, fingerprint}))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}

describe('sandbox up --tls: https through every address with the local CA', function () {
  this.timeout(180_000)
  let sb: TestSandbox
  let ca: Buffer

  before(async () => {
    sb = await upSandbox(54, {extra: ['--tls']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    ca = await readFile(path.join(sb.dir, 'tls-ca', 'ca.crt'))
  })

  after(async () => {
    await sb?.down()
  })

  it('says how to reach it with curl, and every address answers https from its own proxy', async () => {
    expect(sb.up.stdout).to.include(`--resolve www.sandbox.test:443:${sb.eip(1)}`)
    expect(sb.up.stdout).to.match(/curl --cacert \S*tls-ca\/ca\.crt https:\/\/www\.sandbox\.test\//)
    for (const n of [1, 2, 3]) {
      const answer = await httpsGet(sb.eip(n), 443, ca)
      expect(answer).to.include({status: 200, proxy: `proxy-${n}`})
    }
    // Plain HTTP still works beside it.
    expect((await sb.get(sb.eip(1))).status).to.equal(200)
  })

  it('tls check finds the source certificate on every proxy; tls list shows it', async () => {
    const check = await sb.run(['tls', 'check', '--json'])
    expect(check.code, check.stderr).to.equal(0)
    const checked = JSON.parse(check.stdout) as {certificates: {name: string; live: string[]}[]; probes: {status: string}[]}
    expect(checked.certificates.map((c) => [c.name, c.live])).to.deep.equal([['www', ['proxy-1', 'proxy-2', 'proxy-3']]])
    expect(checked.probes.map((p) => p.status)).to.deep.equal(['ok', 'ok', 'ok'])
    const list = await sb.run(['tls', 'list'])
    expect(list.code, list.stderr).to.equal(0)
    expect(list.stdout).to.match(/^www\twww\.sandbox\.test\t\d{4}-\d\d-\d\d\t\d+\t[0-9A-F:]{95}\twww$/m)
    const live = await sb.run(['tls', 'list', '--live'])
    expect(live.code, live.stderr).to.equal(0)
    expect(live.stdout).to.match(/\twww\tproxy-1,proxy-2,proxy-3$/m)
    const status = await sb.run(['status', '--json'])
    const report = JSON.parse(status.stdout) as {certificates?: {name: string; daysLeft: number}[]; problems: string[]}
    expect(report.certificates?.map((c) => c.name)).to.deep.equal(['www'])
    expect(report.certificates?.[0].daysLeft).to.be.greaterThan(300)
    expect(report.problems.filter((p) => p.includes('certificate'))).to.deep.equal([])
  })

  it('a renewed certificate added with --no-push is a mismatch (exit 5) until config push carries it to every proxy', async () => {
    const renewed = await makeLocalCertificates(path.join(sb.dir, 'renewed'), 'www.sandbox.test', ['www.sandbox.test'])
    const add = await sb.run(['tls', 'add', 'www', '--cert', renewed.cert, '--key', renewed.key, '--no-push'])
    expect(add.code, add.stderr).to.equal(0)
    const stale = await sb.run(['tls', 'check'])
    expect(stale.code).to.equal(5)
    expect(stale.stdout).to.match(/proxy-1\t\S+\tmismatch/)
    const push = await sb.run(['config', 'push'])
    expect(push.code, push.stderr).to.equal(0)
    const check = await sb.run(['tls', 'check'])
    expect(check.code, check.stdout + check.stderr).to.equal(0)
    const answer = await httpsGet(sb.eip(2), 443, await readFile(renewed.caCert))
    expect(answer.status).to.equal(200)
  })

  it('tls check exits 5 for a certificate within tls.warnDays of expiry', async () => {
    const original = await readFile(sb.clusterFile, 'utf8')
    await appendFile(sb.clusterFile, 'tls:\n  warnDays: 3650\n')
    try {
      const check = await sb.run(['tls', 'check'])
      expect(check.code).to.equal(5)
      expect(check.stdout).to.match(/expiring\texpires in \d+ days \(tls\.warnDays 3650\)/)
      const status = await sb.run(['status'])
      expect(status.stdout + status.stderr).to.match(/certificate www expires in \d+ days \(\S+; tls\.warnDays 3650\)/)
    } finally {
      await writeFile(sb.clusterFile, original)
    }
  })
})
