import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {parse, stringify} from 'yaml'

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

  it('backend drain --runtime with no stats socket known exits 2 and has written nothing', async () => {
    const dir = await writeCluster(hosts, v1)
    const file = path.join(dir, 'hactl.yaml')
    const cluster = parse(await readFile(file, 'utf8')) as {hosts: Record<string, unknown>[]}
    for (const h of cluster.hosts) delete h.statsSocket
    await writeFile(file, stringify(cluster))
    const drain = await hactl(['backend', 'drain', 'be_v1', 's1', '--runtime'], {cwd: dir})
    expect(drain.code, drain.stderr).to.equal(2)
    expect(drain.stderr).to.include('no HAProxy admin socket known')
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'latin1')).to.equal(v1)
  })

  it('backend add that reaches no proxy says "edited FILE; not rolled out" with the real -c path, exit 4 (not 7)', async () => {
    // No host key is known: every host refuses the connection, after the source was edited.
    const dir = await writeCluster(hosts, v1, {knownHosts: ''})
    const add = await hactl(['backend', 'add', 'be_v1', '127.0.0.1:12', '--name', 's4', '-c', path.join(dir, 'hactl.yaml')])
    expect(add.code, add.stderr + add.stdout).to.equal(4)
    expect(add.stderr).to.match(/edited .*haproxy\.cfg; not rolled out: h1 unreachable/)
    expect(add.stderr).to.include(`hactl config push -c ${path.join(dir, 'hactl.yaml')}`)
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'latin1')).to.include('server s4 127.0.0.1:12')
    for (const h of hosts) expect(await readFile(h.live, 'latin1')).to.equal(v1)
  })
})
