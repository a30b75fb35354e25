import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile} from 'node:fs/promises'
import {createServer, connect, type Server} from 'node:net'
import {homedir, tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {hactl} from '../../harness/cli.js'
import {expectServing, startProxyHost, useProxyHosts, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'

const run = promisify(execFile)

/** A TCP relay to an sshd that cuts both directions once the client has sent `limit` bytes. */
async function cuttingRelay(port: number, limit: number): Promise<{port: number; server: Server}> {
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    let sent = 0
    client.on('data', (d: Buffer) => {
      sent += d.length
      if (sent > limit) {
        client.destroy()
        upstream.destroy()
        return
      }
      upstream.write(d)
    })
    upstream.pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {port: typeof address === 'object' && address ? address.port : 0, server}
}

/** A comment block that makes the config big enough for an upload to be cut halfway. */
const padding = (bytes: number): string => `${'# padding padding padding padding padding padding padding padding\n'.repeat(Math.ceil(bytes / 66))}`

describe('config push when the host or the network fails under it', function () {
  this.timeout(120_000)
  const fixture = useProxyHosts(['h1'])
  let host: ProxyHost
  let v1 = ''
  let v2 = ''

  beforeEach(() => {
    ;({v1, v2} = fixture)
    host = fixture.hosts[0]
  })

  it('a connection cut during the upload leaves the previous config running and the lock free', async () => {
    const relay = await cuttingRelay(host.sshd.port, 200_000)
    const big = `${v2}${padding(600_000)}`
    const viaRelay = {...host, entry: {...host.entry, port: relay.port}}
    const known = `[127.0.0.1]:${relay.port} ${host.sshd.hostKey}\n`
    try {
      const dir = await writeCluster([viaRelay], big, {knownHosts: known})
      const push = await hactl(['config', 'push', '--json'], {cwd: dir})
      expect(push.code, push.stderr + push.stdout).to.equal(4)
      const [result] = JSON.parse(push.stdout).hosts
      expect(result.status).to.equal('failed')
      expect(result.step).to.equal('upload')
      await expectServing(host, [v1])
    } finally {
      relay.server.close()
    }
    // The lock died with the connection: a push straight to the host goes through.
    const direct = await writeCluster([host], big)
    const retry = await hactl(['config', 'push'], {cwd: direct})
    expect(retry.code, retry.stderr).to.equal(0)
    await expectServing(host, [big])
  })

  it('a full disk on the host fails the upload, cleans up the temp file and keeps the previous config', async function () {
    if (process.getuid?.() !== 0) this.skip()
    const mount = await mkdtemp(path.join(tmpdir(), 'hactl-tmpfs-'))
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount])
    let small: ProxyHost | undefined
    try {
      await mkdir(path.join(mount, 'etc'))
      small = await startProxyHost('full', host.sshd.identityFile, {dir: path.join(mount, 'etc')})
      const dir = await writeCluster([small], `${v2}${padding(200_000)}`)
      const push = await hactl(['config', 'push', '--json'], {cwd: dir})
      expect(push.code, push.stderr + push.stdout).to.equal(4)
      const [result] = JSON.parse(push.stdout).hosts
      expect(result).to.include({status: 'failed', step: 'upload'})
      await expectServing(small, [v1])
      expect(await readdir(path.join(mount, 'etc'))).not.to.include('.haproxy.cfg.hactl-new')
    } finally {
      await small?.stop()
      await run('umount', [mount])
    }
  })

  it('a remote path full of shell metacharacters is installed at exactly that path and nothing in it runs', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'hactl-meta-'))
    const marker = `hactl-pwned-${path.basename(base)}`
    // Anything that ran would create the marker in the login shell's folder (home) or here.
    const weird = path.join(base, `it's a $(touch ${marker}) dir; touch ${marker}2 \`touch ${marker}3\` && cd .. || touch ${marker}4`)
    await mkdir(weird)
    const target = path.join(weird, 'ha proxy;$x.cfg')
    const entry = {...host.entry, remotePath: target, reload: 'true', check: 'test -s {file}'}
    const dir = await writeCluster([{...host, entry}], v2)
    const push = await hactl(['config', 'push'], {cwd: dir})
    expect(push.code, push.stderr + push.stdout).to.equal(0)
    expect(await readFile(target, 'latin1')).to.equal(v2)
    for (const folder of [base, homedir(), dir]) expect((await readdir(folder)).filter((f) => f.startsWith(marker))).to.deep.equal([])
  })
})
