import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {hactl} from '../../harness/cli.js'
import {freePort} from '../../harness/ports.js'
import {startWeb, type WebServer} from '../../harness/web.js'

describe('hactl health check on backends', function () {
  this.timeout(60_000)
  let up: WebServer
  let sick: WebServer
  let closed: number
  before(async () => {
    up = await startWeb((_req, res) => res.end('ok'))
    sick = await startWeb((req, res) => {
      res.statusCode = req.url === '/healthz' ? 503 : 200
      res.end('no')
    })
    closed = await freePort()
  })
  after(async () => {
    await up.close()
    await sick.close()
  })

  async function cluster(health = ''): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-health-'))
    await writeFile(path.join(dir, 'hactl.yaml'), `cluster: web\nproxy:\n  config: ./haproxy.cfg\n${health}`)
    await writeFile(
      path.join(dir, 'haproxy.cfg'),
      `defaults\n    mode http\n\nbackend app\n    server up 127.0.0.1:${up.port} check\n    server sick 127.0.0.1:${sick.port} check\n    server gone 127.0.0.1:${closed} check\n`,
    )
    return dir
  }

  it('probes each backend server of the config source and exits 5 when one fails', async () => {
    const result = await hactl(['health', 'check', '--target', 'backends'], {cwd: await cluster()})
    expect(result.code, result.stderr).to.equal(5)
    const rows = result.stdout.trim().split('\n').map((l) => l.split('\t'))
    expect(rows.map((r) => [r[0], r[1], r[2], r[3]])).to.deep.equal([
      [`app/up 127.0.0.1:${up.port}`, 'backend', 'tcp', 'ok'],
      [`app/sick 127.0.0.1:${sick.port}`, 'backend', 'tcp', 'ok'],
      [`app/gone 127.0.0.1:${closed}`, 'backend', 'tcp', 'fail'],
    ])
    expect(rows[2][5]).to.equal('connection refused')
  })

  it('uses health.backends for the backend probe: an http check catches the 503', async () => {
    const dir = await cluster('health:\n  backends: { type: http, path: /healthz, expectStatus: "200" }\n')
    const result = await hactl(['health', 'check', '--target', 'backends', '--json'], {cwd: dir})
    expect(result.code).to.equal(5)
    const report = JSON.parse(result.stdout) as {rows: {target: string; result: string; detail: string}[]; ok: number; failed: number}
    expect(report).to.include({ok: 1, failed: 2})
    expect(report.rows.find((r) => r.target.startsWith('app/sick'))).to.include({result: 'fail', detail: 'HTTP 503, expected 200'})
  })

  it('exits 0 when every backend answers', async () => {
    const dir = await cluster()
    await writeFile(path.join(dir, 'haproxy.cfg'), `backend app\n    server up 127.0.0.1:${up.port}\n`)
    const result = await hactl(['health', 'check', '--target', 'backends'], {cwd: dir})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/\tok\t/)
  })
})
