import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {parseCluster, type Cluster} from '../../../src/cluster/loader.js'
import {firewallStatus} from '../../../src/services/status-firewall.js'

/**
 * The firewall line of `status` runs the audit only when the cluster file
 * has a policy, and never waits on it for long: a host that takes every
 * connection and never speaks SSH would hold a plain audit for the
 * cluster's whole ssh.connectTimeout (30 s here). (`status` itself, with the
 * line, is tested on the sandbox: test/integration/sandbox/firewall.test.ts.)
 */
describe('the status firewall line: bounded in time, absent without a policy', function () {
  this.timeout(60_000)
  let dir: string
  let silent: Server
  const sockets: Socket[] = []

  const cluster = (firewall: string): Cluster => {
    const {port} = silent.address() as {port: number}
    return parseCluster(
      `cluster: shop
provider: static
hosts: [{name: p1, address: 127.0.0.1, port: ${port}}]
ssh: {user: nobody, connectTimeout: 30s, knownHosts: ${dir}/known_hosts, identityFile: ${dir}/id_ed25519}
proxy: {engine: haproxy, config: ${dir}/haproxy.cfg}
${firewall}`,
      path.join(dir, 'hactl.yaml'),
    )
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-fw-status-'))
    // Accepts and says nothing: an SSH client waits for a banner that never comes.
    silent = createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()))
    await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n')
    await writeFile(path.join(dir, 'known_hosts'), '')
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id_ed25519')])
  })

  after(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })

  it('a host that never answers SSH is a finding within seconds, not after the 30 s connect timeout', async () => {
    const started = Date.now()
    const line = await firewallStatus(cluster('firewall: {public: [80]}\n'), {})
    expect(line).to.deep.include({state: 'findings', findings: 1, kinds: {unreachable: 1}})
    expect(sockets.length, 'the SSH client did connect and wait').to.be.greaterThan(0)
    expect(Date.now() - started, "seconds, not the cluster's 30 s connect timeout").to.be.lessThan(15_000)
  })

  it('past its budget the audit is reported as not checked, and status goes on', async () => {
    const line = await firewallStatus(cluster('firewall: {public: [80]}\n'), {budgetMs: 200})
    expect(line).to.deep.equal({state: 'not-checked', findings: 0, kinds: {}, summary: 'the audit did not finish within 0.2 s'})
  })

  it('no firewall: section, no line and no audit', async () => {
    const before = sockets.length
    expect(await firewallStatus(cluster(''), {})).to.equal(undefined)
    expect(sockets.length, 'no host contacted').to.equal(before)
  })
})
