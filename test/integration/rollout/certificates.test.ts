import {expect} from 'chai'
import {lstat, mkdtemp, readdir, readFile, readlink, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {checkPair} from '../../../src/proxy-config/certificate.js'
import type {RolloutTarget} from '../../../src/remote/hosts.js'
import {LocalTransport} from '../../../src/remote/local.js'
import {rollout, type BundleFile} from '../../../src/remote/rollout.js'
import {makeLocalCertificates} from '../../../src/sandbox/certificates.js'
import {MemoryReporter} from '../../../src/events.js'

const CONFIG = `global
    default-path config

defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s

frontend www
    bind 127.0.0.1:18080
    bind 127.0.0.1:18443 ssl crt hactl-tls/ ssl-min-ver TLSv1.2
    default_backend web

backend web
    server s1 127.0.0.1:18081
`

async function pem(dir: string, name: string, host: string): Promise<BundleFile> {
  const made = await makeLocalCertificates(path.join(dir, `ca-${name}`), name, [host], 30)
  const checked = checkPair({cert: {file: made.cert, text: await readFile(made.cert, 'utf8')}, key: {file: made.key, text: await readFile(made.key, 'utf8')}, hosts: []})
  return {name: `${name}.pem`, data: Buffer.from(checked.pem)}
}

/** A host that is a folder here: the real `haproxy -c` validates; `reload` is what the test says. */
async function host(reload = 'true'): Promise<RolloutTarget & {dir: string}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-tls-host-'))
  const remotePath = path.join(dir, 'haproxy.cfg')
  await writeFile(remotePath, 'global\n')
  return {dir, name: 'host1', transport: 'local', remotePath, reload, validate: 'haproxy -c -q -f {file}', check: 'test -s {file}'}
}

const push = (target: RolloutTarget, source: string, files: BundleFile[]) =>
  rollout({targets: [target], source: Buffer.from(source), files, connect: async (t) => new LocalTransport(t.name), reporter: new MemoryReporter(), checkTimeoutMs: 2000})

async function served(dir: string): Promise<{link: string; files: Record<string, string>}> {
  const link = await readlink(path.join(dir, 'hactl-tls'))
  const folder = path.join(dir, link)
  const files: Record<string, string> = {}
  for (const name of await readdir(folder)) files[name] = await readFile(path.join(folder, name), 'utf8')
  return {link, files}
}

describe('rollout carries the certificates with the config', function () {
  this.timeout(60_000)
  let dir: string
  let www: BundleFile
  let api: BundleFile
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-tls-certs-'))
    www = await pem(dir, 'www', 'www.example.test')
    api = await pem(dir, 'api', 'api.example.test')
  })

  it('installs them 0600 in a 0700 folder that haproxy -c validated together with the config', async () => {
    const target = await host()
    const result = await push(target, CONFIG, [www])
    expect(result.hosts.map((h) => [h.status, h.message])).to.deep.equal([['updated', undefined]])
    expect(await readFile(target.remotePath, 'utf8')).to.equal(CONFIG)
    expect((await lstat(path.join(target.dir, 'hactl-tls'))).isSymbolicLink()).to.equal(true)
    const live = await served(target.dir)
    expect(live.files).to.deep.equal({'www.pem': www.data.toString()})
    expect((await stat(path.join(target.dir, live.link))).mode & 0o777).to.equal(0o700)
    expect((await stat(path.join(target.dir, live.link, 'www.pem'))).mode & 0o777).to.equal(0o600)
    // The same config and certificates again: nothing to do.
    const again = await push(target, CONFIG, [www])
    expect(again.hosts[0].status).to.equal('unchanged')
  })

  it('a new certificate with the same config is a change of its own, and the older set stays as the backup', async () => {
    const target = await host()
    await push(target, CONFIG, [www])
    const first = (await served(target.dir)).link
    const result = await push(target, CONFIG, [api, www])
    expect(result.hosts[0].status).to.equal('updated')
    const live = await served(target.dir)
    expect(Object.keys(live.files)).to.deep.equal(['api.pem', 'www.pem'])
    expect(live.link).to.not.equal(first)
    const sets = (await readdir(target.dir)).filter((n) => n.startsWith('.hactl-tls.')).sort()
    expect(sets).to.deep.equal([first, live.link].sort())
  })

  it('a certificate haproxy refuses leaves the host as it was (exit 3), the new set removed', async () => {
    const target = await host()
    await push(target, CONFIG, [www])
    const before = await served(target.dir)
    const broken = {name: 'bad.pem', data: Buffer.from('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n')}
    const result = await push(target, CONFIG.replace('127.0.0.1:18081', '127.0.0.1:18082'), [www, broken])
    expect(result.hosts[0].status).to.equal('rejected')
    expect(result.exitCode).to.equal(3)
    expect(await served(target.dir)).to.deep.equal(before)
    expect(await readFile(target.remotePath, 'utf8')).to.equal(CONFIG)
    expect((await readdir(target.dir)).filter((n) => n.startsWith('.hactl-tls.'))).to.deep.equal([before.link])
  })

  it('a reload that fails puts the config and the certificates back together', async () => {
    const target = await host('grep -q 18082 {file} && exit 1; true')
    await push(target, CONFIG, [www])
    const before = await served(target.dir)
    const result = await push(target, CONFIG.replace('127.0.0.1:18081', '127.0.0.1:18082'), [www, api])
    expect(result.hosts[0]).to.include({status: 'failed', step: 'reload', rolledBack: true})
    expect(await readFile(target.remotePath, 'utf8')).to.equal(CONFIG)
    expect(await served(target.dir)).to.deep.equal(before)
  })

  it('a reload that fails after a certificate-only change keeps the config and puts the certificates back', async () => {
    const target = await host()
    await push(target, CONFIG, [www])
    const before = await served(target.dir)
    target.reload = `test "$(readlink ${JSON.stringify(path.join(target.dir, 'hactl-tls'))})" = ${JSON.stringify(before.link)}`
    const result = await push(target, CONFIG, [www, api])
    expect(result.hosts[0]).to.include({status: 'failed', step: 'reload', rolledBack: true})
    expect(await readFile(target.remotePath, 'utf8')).to.equal(CONFIG)
    expect(await served(target.dir)).to.deep.equal(before)
  })
})
