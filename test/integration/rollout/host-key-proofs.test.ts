import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {stringify} from 'yaml'

import {hactl} from '../../harness/cli.js'
import {startSshd, type Sshd} from '../../harness/sshd.js'
import {waitFor} from '../../harness/wait.js'

describe('a push and the host keys sshd announces after login', function () {
  this.timeout(60_000)
  let sshd: Sshd

  after(async () => {
    await sshd?.stop()
  })

  it('trusts the key known_hosts names and asks the host to prove no others (no signature per host key on every host, every push)', async () => {
    sshd = await startSshd({logLevel: 'DEBUG1'})
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-hostkeys-'))
    const remotePath = path.join(sshd.dir, 'haproxy.cfg')
    await writeFile(remotePath, 'global\n')
    await writeFile(path.join(dir, 'haproxy.cfg'), 'global\n    maxconn 100\n')
    const host = {name: 'h1', address: sshd.host, port: sshd.port, remotePath, validate: 'true', reload: 'true', check: 'true'}
    await writeFile(
      path.join(dir, 'hactl.yaml'),
      stringify({cluster: 'hk', provider: 'static', proxy: {engine: 'haproxy', config: './haproxy.cfg'}, ssh: {identityFile: sshd.identityFile, knownHosts: sshd.knownHosts}, hosts: [host]}),
    )
    const push = await hactl(['config', 'push'], {cwd: dir})
    expect(push.code, push.stderr).to.equal(0)
    // sshd logs each request of the session; once the connection's end is logged, every request it got is too.
    await waitFor('sshd to log the end of the connection', () => /Close session|Connection closed|Received disconnect/.test(sshd.output()))
    expect(sshd.output()).to.include('server_input_channel_open: ctype session')
    expect(sshd.output()).not.to.include('hostkeys-prove-00@openssh.com')
  })
})
