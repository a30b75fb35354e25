import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'
import {expectServing, useProxyHosts, workerPid, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'

describe('backend commands on a cluster: edit the source, then push or apply at runtime', function () {
  this.timeout(120_000)
  const fixture = useProxyHosts(['h1', 'h2'])
  let hosts: ProxyHost[] = []
  let v1 = ''

  beforeEach(() => {
    ;({hosts, v1} = fixture)
  })

  it('backend add edits the source and rolls it out to every proxy; --no-push only edits', async () => {
    const dir = await writeCluster(hosts, v1)
    const add = await hactl(['backend', 'add', 'be_v1', '127.0.0.1:10', '--name', 's2'], {cwd: dir})
    expect(add.code, add.stderr + add.stdout).to.equal(0)
    expect(add.stdout).to.match(/^h1\tupdated/m)
    expect(add.stdout).to.match(/^h2\tupdated/m)
    const source = await readFile(path.join(dir, 'haproxy.cfg'), 'latin1')
    expect(source).to.include('server s2 127.0.0.1:10')
    for (const h of hosts) {
      await expectServing(h, [source])
      expect(await h.haproxy.runtime('show servers state be_v1')).to.include(' s2 ')
    }

    const quiet = await hactl(['backend', 'add', 'be_v1', '127.0.0.1:11', '--name', 's3', '--no-push'], {cwd: dir})
    expect(quiet.code, quiet.stderr).to.equal(0)
    expect(quiet.stdout).not.to.include('updated')
    for (const h of hosts) expect(await readFile(h.live, 'latin1')).not.to.include('s3')
  })

  it('backend drain --runtime drains the server on every proxy without a reload and records it in the source', async () => {
    const dir = await writeCluster(hosts, v1)
    const before = await Promise.all(hosts.map((h) => workerPid(h)))
    const drain = await hactl(['backend', 'drain', 'be_v1', 's1', '--runtime'], {cwd: dir})
    expect(drain.code, drain.stderr + drain.stdout).to.equal(0)
    expect(drain.stdout).to.match(/^h1\tapplied/m)
    expect(drain.stdout).to.match(/^h2\tapplied/m)
    expect(await Promise.all(hosts.map((h) => workerPid(h)))).to.deep.equal(before)
    for (const h of hosts) expect(await readFile(h.live, 'latin1')).to.equal(v1)
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'latin1')).to.match(/server s1 127\.0\.0\.1:9 weight 0/)

    const live = await hactl(['backend', 'list', 'be_v1', '--live', '--json'], {cwd: dir})
    expect(live.code, live.stderr).to.equal(0)
    const servers = (JSON.parse(live.stdout) as {servers: {host: string; server: string; admin: string}[]}).servers
    expect(servers.map((s) => `${s.host} ${s.server} ${s.admin}`).sort()).to.deep.equal(['h1 s1 drain', 'h2 s1 drain'])

    const enable = await hactl(['backend', 'enable', 'be_v1', 's1', '--runtime'], {cwd: dir})
    expect(enable.code, enable.stderr).to.equal(0)
    for (const h of hosts) expect(await h.haproxy.runtime('show servers state be_v1')).to.match(/ s1 127\.0\.0\.1 2 0 /)
  })
})
