import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'
import {expectServing, useProxyHosts, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'

interface Reported {
  host: string
  status: string
  step?: string
  rolledBack?: boolean
}

const statuses = (stdout: string): string[] => (JSON.parse(stdout) as {hosts: Reported[]}).hosts.map((h) => h.status)

describe('config push over SSH to real sshd and haproxy hosts', function () {
  this.timeout(120_000)
  const fixture = useProxyHosts(['h1', 'h2', 'h3', 'h4', 'h5'])
  let hosts: ProxyHost[] = []
  let v1 = ''
  let v2 = ''

  beforeEach(() => {
    ;({hosts, v1, v2} = fixture)
  })

  it('installs the source on every host, reloads it, keeps a backup, and a re-run changes nothing', async () => {
    const dir = await writeCluster(hosts, v2)
    const push = await hactl(['config', 'push', '--json'], {cwd: dir})
    expect(push.code, push.stderr + push.stdout).to.equal(0)
    expect(statuses(push.stdout)).to.deep.equal(['updated', 'updated', 'updated', 'updated', 'updated'])
    for (const h of hosts) {
      expect(await expectServing(h, [v2])).to.equal(v2)
      expect(await readFile(path.join(path.dirname(h.live), 'haproxy.cfg.hactl-backup'), 'latin1')).to.equal(v1)
    }

    const again = await hactl(['config', 'push'], {cwd: dir})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout.trim().split('\n').map((l) => l.split('\t')[1])).to.deep.equal(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged'])
    expect(again.stderr).to.include('5 unchanged')
  })

  it('--dry-run prints each host\'s steps with the exact commands and changes nothing', async () => {
    const dir = await writeCluster(hosts, v2)
    const {code, stdout} = await hactl(['config', 'push', '--dry-run', '--hosts', 'h2'], {cwd: dir})
    expect(code).to.equal(0)
    expect(stdout).to.include('h2: would')
    // The path reaches the operator's command as the value of HACTL_FILE, never as shell text of its own.
    expect(stdout).to.include(`validate: sh -c 'HACTL_FILE=${path.join(path.dirname(hosts[1].live), '.haproxy.cfg.hactl-new')}; haproxy -c -f "$HACTL_FILE"'`)
    expect(stdout).not.to.include('h1')
    await expectServing(hosts[1], [v1])
  })

  it('a config every validator rejects changes nothing anywhere and exits 3', async () => {
    const dir = await writeCluster(hosts, `${v2}\nbackend broken\n    no_such_keyword here\n`)
    const push = await hactl(['config', 'push', '--json'], {cwd: dir})
    expect(push.code, push.stderr).to.equal(3)
    expect(statuses(push.stdout).every((s) => s === 'rejected' || s === 'skipped')).to.equal(true)
    expect(push.stdout).to.include('no_such_keyword')
    for (const h of hosts) await expectServing(h, [v1])
  })

  it('the validator rejecting on host 2 of 5 stops the rollout there: host 1 updated, the rest untouched, exit 4', async () => {
    // Host 2's haproxy also loads a local file that clashes with the new config: only its validator says no.
    const clash = path.join(path.dirname(hosts[1].live), 'local.cfg')
    await writeFile(clash, 'backend be_v2\n    server s1 127.0.0.1:9\n')
    hosts[1].entry.validate = `haproxy -c -f {file} -f ${clash}`
    try {
      const dir = await writeCluster(hosts, v2)
      const push = await hactl(['config', 'push', '--concurrency', '1', '--json'], {cwd: dir})
      expect(push.code, push.stderr).to.equal(4)
      expect(statuses(push.stdout)).to.deep.equal(['updated', 'rejected', 'skipped', 'skipped', 'skipped'])
      await expectServing(hosts[0], [v2])
      for (const h of hosts.slice(1)) await expectServing(h, [v1])
    } finally {
      delete hosts[1].entry.validate
    }
  })

  it('a failing reload on one host puts its previous config back; the others keep the new one', async () => {
    const {reload} = hosts[3].entry
    hosts[3].entry.reload = `grep -q be_v2 {file} && { echo "reload refused" >&2; exit 1; }; ${reload}`
    try {
      const dir = await writeCluster(hosts, v2)
      const push = await hactl(['config', 'push', '--max-failures', '5', '--json'], {cwd: dir})
      expect(push.code, push.stderr).to.equal(4)
      const report = JSON.parse(push.stdout) as {hosts: Reported[]}
      expect(report.hosts[3]).to.include({status: 'failed', step: 'reload', rolledBack: true})
      await expectServing(hosts[3], [v1])
      for (const h of [0, 1, 2, 4]) await expectServing(hosts[h], [v2])
    } finally {
      hosts[3].entry.reload = reload
    }
  })

  it('a failing post-check rolls the host back and reloads the previous config', async () => {
    const {check} = hosts[4].entry
    hosts[4].entry.check = `! grep -q be_v2 {file} && ${check}`
    try {
      const dir = await writeCluster(hosts, v2)
      const push = await hactl(['config', 'push', '--hosts', 'h5,h1', '--max-failures', '1', '--json'], {cwd: dir})
      expect(push.code, push.stderr).to.equal(4)
      const report = JSON.parse(push.stdout) as {hosts: Reported[]}
      expect(report.hosts[0]).to.include({host: 'h5', status: 'failed', step: 'check', rolledBack: true})
      expect(report.hosts[1]).to.include({host: 'h1', status: 'updated'})
      await expectServing(hosts[4], [v1])
      await expectServing(hosts[0], [v2])
    } finally {
      hosts[4].entry.check = check
    }
  })

  it('a second push while the first holds a host exits 6 and changes nothing; the first completes', async () => {
    const gate = path.dirname(hosts[0].live)
    const {reload} = hosts[0].entry
    hosts[0].entry.reload = `touch ${gate}/reloading; while [ ! -e ${gate}/go ]; do sleep 0.05; done; rm -f ${gate}/go ${gate}/reloading; ${reload}`
    try {
      const dir = await writeCluster(hosts, v2)
      const first = hactl(['config', 'push', '--hosts', 'h1'], {cwd: dir})
      await waitForFile(path.join(gate, 'reloading'))
      const second = await hactl(['config', 'push', '--hosts', 'h1'], {cwd: dir})
      expect(second.code, second.stderr).to.equal(6)
      expect(second.stdout).to.match(/^h1\tbusy\tlock/m)
      await writeFile(path.join(gate, 'go'), '')
      const done = await first
      expect(done.code, done.stderr).to.equal(0)
      await expectServing(hosts[0], [v2])
    } finally {
      hosts[0].entry.reload = reload
    }
  })
})

async function waitForFile(file: string): Promise<void> {
  const {waitFor} = await import('../../harness/wait.js')
  await waitFor(file, async () => (await readFile(file).then(() => true, () => false)) || undefined, 30_000)
}
