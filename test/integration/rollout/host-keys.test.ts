import {expect} from 'chai'
import {execFile, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {hactl, SRC_CHILD_ENV} from '../../harness/cli.js'
import {waitFor} from '../../harness/wait.js'
import {expectServing, useProxyHosts, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'

const run = promisify(execFile)

describe('SSH host keys and drift', function () {
  this.timeout(120_000)
  const fixture = useProxyHosts(['h1'])
  let host: ProxyHost
  let v1 = ''
  let v2 = ''

  beforeEach(() => {
    ;({v1, v2} = fixture)
    host = fixture.hosts[0]
  })

  it('refuses a host whose key is not known, says how to accept it, and changes nothing', async () => {
    const dir = await writeCluster([host], v2, {knownHosts: ''})
    const push = await hactl(['config', 'push'], {cwd: dir})
    expect(push.code).to.equal(7)
    expect(push.stdout).to.match(/^h1\tunreachable\tconnect/m)
    expect(push.stdout).to.include('is not known')
    expect(push.stdout + push.stderr).to.include('--accept-new')
    expect(await readFile(path.join(dir, 'known_hosts'), 'utf8')).to.equal('')
    await expectServing(host, [v1])
  })

  it('--accept-new records exactly one key, and the next push trusts it without the flag', async () => {
    const dir = await writeCluster([host], v2, {knownHosts: ''})
    const accepted = await hactl(['config', 'push', '--accept-new'], {cwd: dir})
    expect(accepted.code, accepted.stderr + accepted.stdout).to.equal(0)
    const lines = (await readFile(path.join(dir, 'known_hosts'), 'utf8')).trim().split('\n')
    expect(lines).to.deep.equal([`[127.0.0.1]:${host.sshd.port} ${host.sshd.hostKey}`])
    const again = await hactl(['config', 'push'], {cwd: dir})
    expect(again.code, again.stderr).to.equal(0)
    expect((await readFile(path.join(dir, 'known_hosts'), 'utf8')).trim().split('\n')).to.have.length(1)
  })

  it('refuses a changed host key loudly, even with --accept-new, and leaves known_hosts alone', async () => {
    const {stdout: other} = await run('sh', ['-c', `ssh-keygen -q -t ed25519 -N '' -f ${host.sshd.dir}/other && cat ${host.sshd.dir}/other.pub`])
    const stale = `[127.0.0.1]:${host.sshd.port} ${other.trim().split(' ').slice(0, 2).join(' ')}\n`
    const dir = await writeCluster([host], v2, {knownHosts: stale})
    const push = await hactl(['config', 'push', '--accept-new'], {cwd: dir})
    expect(push.code).to.equal(7)
    expect(push.stdout).to.include('HAS CHANGED')
    expect(await readFile(path.join(dir, 'known_hosts'), 'utf8')).to.equal(stale)
    await expectServing(host, [v1])
  })

  it('trusts a host listed by a hashed known_hosts entry (ssh-keygen -H)', async () => {
    const dir = await writeCluster([host], v2)
    await run('ssh-keygen', ['-q', '-H', '-f', path.join(dir, 'known_hosts')])
    expect(await readFile(path.join(dir, 'known_hosts'), 'utf8')).to.match(/^\|1\|/)
    const push = await hactl(['config', 'push'], {cwd: dir})
    expect(push.code, push.stderr + push.stdout).to.equal(0)
    await expectServing(host, [v2])
  })

  it('reaches the host through the cluster file\'s bastion, checking the bastion\'s host key too', async () => {
    const {startSshd} = await import('../../harness/sshd.js')
    const bastion = await startSshd({identityFile: host.sshd.identityFile})
    try {
      const known = `[127.0.0.1]:${host.sshd.port} ${host.sshd.hostKey}\n`
      const through = await writeCluster([host], v2, {knownHosts: known, ssh: {bastion: `${bastion.user}@127.0.0.1:${bastion.port}`}})
      const refused = await hactl(['config', 'push'], {cwd: through})
      expect(refused.code).to.equal(7)
      expect(refused.stdout).to.include(`[127.0.0.1]:${bastion.port} is not known`)
      await writeFile(path.join(through, 'known_hosts'), `${known}[127.0.0.1]:${bastion.port} ${bastion.hostKey}\n`)
      const push = await hactl(['config', 'push'], {cwd: through})
      expect(push.code, push.stderr + push.stdout).to.equal(0)
      await expectServing(host, [v2])
    } finally {
      await bastion.stop()
    }
  })

  it('config diff exits 5 with the unified diff on drift, and 0 once pull brought the live file into the source', async () => {
    const dir = await writeCluster([host], v2)
    const drift = await hactl(['config', 'diff'], {cwd: dir})
    expect(drift.code).to.equal(5)
    expect(drift.stdout).to.include('h1: drift')
    expect(drift.stdout).to.include('-    default_backend be_v1')
    expect(drift.stdout).to.include('+    default_backend be_v2')

    const pull = await hactl(['config', 'pull', '--from', 'h1', '--yes'], {cwd: dir})
    expect(pull.code, pull.stderr).to.equal(0)
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'latin1')).to.equal(v1)
    const synced = await hactl(['config', 'diff', '--json'], {cwd: dir})
    expect(synced.code).to.equal(0)
    expect(JSON.parse(synced.stdout)).to.deep.include({inSync: true})
  })

  it('config pull writes the source like every edit: under its lock, mode kept, the old version as a backup', async () => {
    const dir = await writeCluster([host], v2)
    const source = path.join(dir, 'haproxy.cfg')
    await chmod(source, 0o640)
    // Another hactl run editing the source holds its lock (and has appended a line).
    const holderScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../harness/hold-lock.ts')
    const holder = spawn(process.execPath, ['--import', 'tsx', holderScript, 'file', source], {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, ...SRC_CHILD_ENV}})
    let said = ''
    holder.stdout?.on('data', (d: Buffer) => (said += d.toString()))
    const barriers = await mkdtemp(path.join(tmpdir(), 'hactl-barrier-'))
    try {
      await waitFor('the edit lock holder', () => said.includes('held') || undefined, 30_000)
      const edited = await readFile(source, 'latin1')
      const pulling = hactl(['config', 'pull', '--from', 'h1', '--yes'], {cwd: dir, env: {HACTL_TEST_BARRIER: barriers}})
      await waitFor('config pull to wait for the lock', () => existsSync(path.join(barriers, 'file-lock.wait.reached')) || undefined, 60_000)
      expect(await readFile(source, 'latin1'), 'nothing written while another run holds the lock').to.equal(edited)
      holder.kill('SIGKILL')
      const pull = await pulling
      expect(pull.code, pull.stderr).to.equal(0)
      expect(await readFile(source, 'latin1')).to.equal(v1)
      expect((await stat(source)).mode & 0o777).to.equal(0o640)
      expect(await readFile(`${source}.hactl-bak`, 'latin1')).to.equal(edited)
    } finally {
      holder.kill('SIGKILL')
    }
  })
})
