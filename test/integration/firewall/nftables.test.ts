import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {parseCluster} from '../../../src/cluster/loader.js'
import {compareNft, liveSignatures, renderNft} from '../../../src/firewall/nftables.js'
import {firewallPolicy} from '../../../src/firewall/policy.js'
import {hostPaths} from '../../../src/remote/plan.js'
import {BIN, hactl} from '../../harness/cli.js'
import {startProcess, type Started} from '../../harness/process.js'
import {startSshd, type Sshd} from '../../harness/sshd.js'
import {waitFor} from '../../harness/wait.js'

/** Exit code and output of a command; never throws. */
function run(command: string, args: string[], input?: string): Promise<{code: number; output: string}> {
  return new Promise((resolve) => {
    const child = execFile(command, args, {timeout: 15_000}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({code, output: `${stdout}${stderr}`})
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

const inNs = (ns: string, command: string[], input?: string) => run('ip', ['netns', 'exec', ns, ...command], input)

/** Does a TCP connection from namespace `ns` to address:port get an answer within a second? */
async function reaches(ns: string, address: string, port: number): Promise<boolean> {
  const script = `const s=require('net').connect(${port},'${address}');s.setTimeout(1000,()=>process.exit(2));s.on('data',()=>process.exit(0));s.on('error',()=>process.exit(3))`
  return (await inNs(ns, [process.execPath, '-e', script])).code === 0
}

const root = process.getuid?.() === 0 && existsSync('/usr/sbin/nft') && existsSync('/usr/sbin/ip')

/**
 * Three namespaces the test makes: a proxy and the "internet", each linked to
 * a backend by its own veth pair. The backend's table is what decides.
 */
;(root ? describe : describe.skip)('nftables table inet hactl in network namespaces (root)', function () {
  this.timeout(60_000)
  const tag = `hfw${process.pid % 100_000}`
  const ns = {proxy: `${tag}-p`, backend: `${tag}-b`, internet: `${tag}-i`}
  let server: Started | undefined

  const spec = parseCluster(
    `cluster: shop
provider: static
hosts: [{name: p1, address: 10.240.1.1}]
proxy: {config: ./haproxy.cfg}
firewall: {public: [80], admin: [10.240.9.0/24]}
`,
    'hactl.yaml',
  ).spec
  const policy = firewallPolicy(
    spec,
    [{name: 'app', kind: 'backend', line: 1, servers: [{backend: 'app', name: 'b1', address: '10.240.1.2', port: 8080, state: 'enabled', backup: false, options: [], line: 2}]}],
    'haproxy.cfg',
  )
  const plan = renderNft(policy, 'backends', ['10.240.1.1'])

  before(async () => {
    for (const name of Object.values(ns)) expect((await run('ip', ['netns', 'add', name])).code).to.equal(0)
    const sh = async (...args: string[]): Promise<void> => {
      const r = await run('ip', args)
      expect(r.code, `ip ${args.join(' ')}: ${r.output}`).to.equal(0)
    }
    await sh('-n', ns.proxy, 'link', 'add', 'vp', 'type', 'veth', 'peer', 'name', 'vbp', 'netns', ns.backend)
    await sh('-n', ns.internet, 'link', 'add', 'vi', 'type', 'veth', 'peer', 'name', 'vbi', 'netns', ns.backend)
    await sh('-n', ns.proxy, 'addr', 'add', '10.240.1.1/24', 'dev', 'vp')
    await sh('-n', ns.backend, 'addr', 'add', '10.240.1.2/24', 'dev', 'vbp')
    await sh('-n', ns.internet, 'addr', 'add', '10.240.2.1/24', 'dev', 'vi')
    await sh('-n', ns.backend, 'addr', 'add', '10.240.2.2/24', 'dev', 'vbi')
    for (const [n, dev] of [[ns.proxy, 'vp'], [ns.backend, 'vbp'], [ns.backend, 'vbi'], [ns.internet, 'vi']]) await sh('-n', n, 'link', 'set', dev, 'up')
    for (const n of Object.values(ns)) await sh('-n', n, 'link', 'set', 'lo', 'up')
    server = startProcess('ip', ['netns', 'exec', ns.backend, process.execPath, '-e', "require('net').createServer((s)=>s.end('ok\\n')).listen(8080)"])
    await waitFor('backend server in its namespace', () => reaches(ns.backend, '127.0.0.1', 8080), 15_000)
  })

  after(async () => {
    await server?.stop()
    for (const name of Object.values(ns)) await run('ip', ['netns', 'delete', name])
  })

  it('renders a table nft -c accepts; a broken one is refused and installs nothing', async () => {
    expect(plan.text).to.include('ip saddr 10.240.1.1 tcp dport 8080 accept')
    expect(plan.text).to.include('ip saddr 10.240.9.0/24 tcp dport 22 accept')
    expect(plan.text).to.include('tcp dport { 22, 8080 } drop')
    const check = await inNs(ns.backend, ['nft', '-c', '-f', '-'], plan.text)
    expect(check.code, check.output).to.equal(0)

    const broken = plan.text.replace('tcp dport { 22, 8080 } drop', 'tcp dport { 22, 8080 } dorp')
    const refused = await inNs(ns.backend, ['nft', '-c', '-f', '-'], broken)
    expect(refused.code).to.not.equal(0)
    expect(refused.output).to.include('dorp')
    expect((await inNs(ns.backend, ['nft', 'list', 'table', 'inet', 'hactl'])).code, 'nothing installed').to.not.equal(0)
  })

  it('after loading it the backend answers the proxy and not the internet; the live table matches the plan', async () => {
    expect(await reaches(ns.internet, '10.240.2.2', 8080), 'open before').to.equal(true)
    const load = await inNs(ns.backend, ['nft', '-f', '-'], plan.text)
    expect(load.code, load.output).to.equal(0)
    expect(await reaches(ns.proxy, '10.240.1.2', 8080)).to.equal(true)
    expect(await reaches(ns.internet, '10.240.2.2', 8080)).to.equal(false)

    const live = await inNs(ns.backend, ['nft', '-j', 'list', 'table', 'inet', 'hactl'])
    expect(live.code, live.output).to.equal(0)
    expect(compareNft(plan, liveSignatures(live.output))).to.deep.equal([])
  })

  it('a rule added by hand shows as a difference; loading the plan again replaces the table atomically', async () => {
    const hole = await inNs(ns.backend, ['nft', 'insert', 'rule', 'inet', 'hactl', 'input', 'tcp', 'dport', '8080', 'accept'])
    expect(hole.code, hole.output).to.equal(0)
    expect(await reaches(ns.internet, '10.240.2.2', 8080)).to.equal(true)
    const live = await inNs(ns.backend, ['nft', '-j', 'list', 'table', 'inet', 'hactl'])
    expect(compareNft(plan, liveSignatures(live.output))).to.deep.equal([{kind: 'unexpected', rule: 'tcp dport 8080 accept'}])

    expect((await inNs(ns.backend, ['nft', '-f', '-'], plan.text)).code).to.equal(0)
    const again = await inNs(ns.backend, ['nft', '-j', 'list', 'table', 'inet', 'hactl'])
    expect(compareNft(plan, liveSignatures(again.output))).to.deep.equal([])
    expect(await reaches(ns.internet, '10.240.2.2', 8080)).to.equal(false)
  })
})

/**
 * `firewall audit` on provider static reads each host's table over SSH. Each
 * "host" is a network namespace: its sshd (on loopback, as the harness makes
 * them) runs every session inside the namespace through a forced command.
 */
;(root ? describe : describe.skip)('firewall audit on static hosts over SSH (root)', function () {
  this.timeout(120_000)
  const tag = `hfa${process.pid % 100_000}`
  const ns = {proxy: `${tag}-p`, backend: `${tag}-b`}
  const servers: Sshd[] = []
  let dir: string

  const cli = (args: string[]) => hactl(args, {cwd: dir})

  before(async () => {
    for (const name of Object.values(ns)) expect((await run('ip', ['netns', 'add', name])).code).to.equal(0)
    const proxy = await startSshd()
    const backend = await startSshd({identityFile: proxy.identityFile})
    servers.push(proxy, backend)
    for (const [server, name] of [[proxy, ns.proxy], [backend, ns.backend]] as const) {
      const key = await readFile(`${proxy.identityFile}.pub`, 'utf8')
      await writeFile(path.join(server.dir, 'authorized_keys'), `command="ip netns exec ${name} sh -c \\"$SSH_ORIGINAL_COMMAND\\"" ${key}`)
    }
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-fw-'))
    await writeFile(path.join(dir, 'known_hosts'), `[127.0.0.1]:${proxy.port} ${proxy.hostKey}\n[127.0.0.1]:${backend.port} ${backend.hostKey}\n`)
    await writeFile(
      path.join(dir, 'hactl.yaml'),
      `cluster: shop
provider: static
hosts: [{name: p1, address: 127.0.0.1, port: ${proxy.port}}]
ssh: {user: ${proxy.user}, port: ${backend.port}, identityFile: ${proxy.identityFile}, knownHosts: ./known_hosts}
proxy: {engine: haproxy, config: ./haproxy.cfg}
firewall: {public: [80], admin: [10.240.9.0/24]}
`,
    )
    await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nbackend app\n    server b1 127.0.0.1:8080\n')
  })

  after(async () => {
    for (const s of servers) await s.stop()
    for (const name of Object.values(ns)) await run('ip', ['netns', 'delete', name])
  })

  it('passes when each host runs the table plan printed; finds a missing table and a hand-added rule (exit 5)', async () => {
    const none = await cli(['firewall', 'audit'])
    expect(none.code, none.stderr).to.equal(5)
    expect(none.stdout).to.include('nft-missing: p1 (table inet hactl)')
    expect(none.stdout).to.include('nft-missing: 127.0.0.1 (table inet hactl)')

    const plan = JSON.parse((await cli(['firewall', 'plan', '--json'])).stdout) as {nftables: {role: 'backends' | 'proxies'; text: string}[]}
    for (const t of plan.nftables) {
      const load = await inNs(t.role === 'proxies' ? ns.proxy : ns.backend, ['nft', '-f', '-'], t.text)
      expect(load.code, load.output).to.equal(0)
    }
    const ok = await cli(['firewall', 'audit'])
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0)
    expect(ok.stdout).to.include('no findings: 1 proxy and 1 backend checked')

    expect((await inNs(ns.backend, ['nft', 'insert', 'rule', 'inet', 'hactl', 'input', 'tcp', 'dport', '8080', 'accept'])).code).to.equal(0)
    const hole = await cli(['firewall', 'audit', '--json'])
    expect(hole.code).to.equal(5)
    const report = JSON.parse(hole.stdout) as {findings: {kind: string; groupId: string; rule: string; detail: string}[]}
    expect(report.findings).to.deep.equal([
      {kind: 'nft-differs', groupId: '127.0.0.1', groupName: 'table inet hactl', rule: 'tcp dport 8080 accept', instances: ['127.0.0.1'], detail: 'on the host, not in the plan'},
    ])
  })
})

/**
 * `firewall apply` on provider static, with hactl in one namespace and the
 * host (its sshd and its table) in another, so SSH crosses the table it loads.
 */
;(root ? describe : describe.skip)('firewall apply on static hosts over SSH: load, post-check, roll back (root)', function () {
  this.timeout(120_000)
  const tag = `hfr${process.pid % 100_000}`
  const ns = {client: `${tag}-c`, host: `${tag}-h`}
  let sshd: Sshd | undefined
  let dir: string

  const cli = (args: string[]): Promise<{code: number; stdout: string; stderr: string}> =>
    new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', ns.client, process.execPath, BIN, ...args], {cwd: dir, env: {...process.env, NO_COLOR: '1'}, timeout: 60_000}, (error, stdout, stderr) => {
        resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
      })
    })
  const cluster = (admin: string): string => `cluster: shop
provider: static
hosts: [{name: p1, address: 10.240.1.2, remotePath: ${dir}/haproxy.cfg}]
ssh: {user: ${sshd?.user}, port: ${sshd?.port}, identityFile: ${sshd?.identityFile}, knownHosts: ${sshd?.knownHosts}, connectTimeout: 2s}
proxy: {engine: haproxy, config: ./haproxy.cfg}
firewall: {public: [80], admin: [${admin}]}
`

  before(async () => {
    for (const name of Object.values(ns)) expect((await run('ip', ['netns', 'add', name])).code).to.equal(0)
    for (const args of [
      ['-n', ns.client, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vh', 'netns', ns.host],
      ['-n', ns.client, 'addr', 'add', '10.240.1.1/24', 'dev', 'vc'],
      ['-n', ns.host, 'addr', 'add', '10.240.1.2/24', 'dev', 'vh'],
      ['-n', ns.client, 'link', 'set', 'vc', 'up'],
      ['-n', ns.host, 'link', 'set', 'vh', 'up'],
      ['-n', ns.client, 'link', 'set', 'lo', 'up'],
      ['-n', ns.host, 'link', 'set', 'lo', 'up'],
    ]) {
      const r = await run('ip', args)
      expect(r.code, `ip ${args.join(' ')}: ${r.output}`).to.equal(0)
    }
    sshd = await startSshd({netns: ns.host, address: '10.240.1.2', probeFromNetns: ns.client})
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-fw-'))
    await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n')
  })

  after(async () => {
    await sshd?.stop()
    for (const name of Object.values(ns)) await run('ip', ['netns', 'delete', name])
  })

  it('loads the table, a re-run changes nothing; a table that would shut SSH out is rolled back and SSH still answers', async () => {
    await writeFile(path.join(dir, 'hactl.yaml'), cluster('10.240.1.0/24'))
    const first = await cli(['firewall', 'apply'])
    expect(first.code, first.stdout + first.stderr).to.equal(0)
    expect(first.stderr).to.include('p1: updated: table inet hactl loaded; a new SSH connection still answers')
    const loaded = await inNs(ns.host, ['nft', 'list', 'table', 'inet', 'hactl'])
    expect(loaded.output).to.include(`ip saddr 10.240.1.0/24 tcp dport ${sshd?.port} accept`)

    const again = await cli(['firewall', 'apply'])
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stderr).to.include('p1: unchanged')

    // Our own address is not an admin network any more: loading this table shuts new SSH sessions out.
    await writeFile(path.join(dir, 'hactl.yaml'), cluster('10.240.9.0/24'))
    const locked = await cli(['firewall', 'apply', '--json'])
    expect(locked.code, locked.stdout + locked.stderr).to.equal(4)
    const report = JSON.parse(locked.stdout) as {hosts: {host: string; status: string}[]}
    expect(report.hosts.map((h) => `${h.host} ${h.status}`)).to.deep.equal(['p1 rolled-back'])
    expect((await inNs(ns.host, ['nft', 'list', 'table', 'inet', 'hactl'])).output).to.equal(loaded.output)

    await writeFile(path.join(dir, 'hactl.yaml'), cluster('10.240.1.0/24'))
    const after = await cli(['firewall', 'apply'])
    expect(after.code, 'SSH still answers and the table is the good one').to.equal(0)
    expect(after.stderr).to.include('p1: unchanged')
  })
})

/**
 * Two hosts, each a namespace with its sshd, loaded at once; each host's
 * table is loaded under the lock `config push` takes there, so a push (here:
 * a process holding that lock) and a firewall load never overlap.
 */
;(root ? describe : describe.skip)('firewall apply on two static hosts at once, under the config push lock (root)', function () {
  this.timeout(120_000)
  const tag = `hfl${process.pid % 100_000}`
  const ns = {client: `${tag}-c`, one: `${tag}-1`, two: `${tag}-2`}
  const servers: Sshd[] = []
  let holder: Started | undefined
  let dir: string

  const cli = (args: string[]): Promise<{code: number; stdout: string; stderr: string}> =>
    new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', ns.client, process.execPath, BIN, ...args], {cwd: dir, env: {...process.env, NO_COLOR: '1'}, timeout: 60_000}, (error, stdout, stderr) => {
        resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
      })
    })
  const table = async (host: string): Promise<string> => (await inNs(host, ['nft', 'list', 'table', 'inet', 'hactl'])).output

  before(async () => {
    for (const name of Object.values(ns)) expect((await run('ip', ['netns', 'add', name])).code).to.equal(0)
    for (const args of [
      ['-n', ns.client, 'link', 'add', 'v1', 'type', 'veth', 'peer', 'name', 'vh', 'netns', ns.one],
      ['-n', ns.client, 'link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'vh', 'netns', ns.two],
      ['-n', ns.client, 'addr', 'add', '10.240.1.1/24', 'dev', 'v1'],
      ['-n', ns.client, 'addr', 'add', '10.240.3.1/24', 'dev', 'v2'],
      ['-n', ns.one, 'addr', 'add', '10.240.1.2/24', 'dev', 'vh'],
      ['-n', ns.two, 'addr', 'add', '10.240.3.2/24', 'dev', 'vh'],
      ['-n', ns.client, 'link', 'set', 'v1', 'up'],
      ['-n', ns.client, 'link', 'set', 'v2', 'up'],
      ['-n', ns.one, 'link', 'set', 'vh', 'up'],
      ['-n', ns.two, 'link', 'set', 'vh', 'up'],
    ]) {
      const r = await run('ip', args)
      expect(r.code, `ip ${args.join(' ')}: ${r.output}`).to.equal(0)
    }
    const one = await startSshd({netns: ns.one, address: '10.240.1.2', probeFromNetns: ns.client})
    const two = await startSshd({netns: ns.two, address: '10.240.3.2', probeFromNetns: ns.client, identityFile: one.identityFile})
    servers.push(one, two)
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-fw-'))
    await writeFile(path.join(dir, 'known_hosts'), `[10.240.1.2]:${one.port} ${one.hostKey}\n[10.240.3.2]:${two.port} ${two.hostKey}\n`)
    await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n')
    await writeFile(
      path.join(dir, 'hactl.yaml'),
      `cluster: shop
provider: static
hosts:
  - {name: p1, address: 10.240.1.2, port: ${one.port}, remotePath: ${dir}/p1/haproxy.cfg}
  - {name: p2, address: 10.240.3.2, port: ${two.port}, remotePath: ${dir}/p2/haproxy.cfg}
ssh: {user: ${one.user}, identityFile: ${one.identityFile}, knownHosts: ./known_hosts, connectTimeout: 2s}
proxy: {engine: haproxy, config: ./haproxy.cfg}
firewall: {public: [80], admin: [10.240.0.0/16]}
`,
    )
    for (const host of ['p1', 'p2']) await run('mkdir', ['-p', path.join(dir, host)])
  })

  const release = async (): Promise<void> => {
    const pid = holder?.child.pid
    if (pid && holder?.child.exitCode === null && holder.child.signalCode === null) process.kill(-pid, 'SIGTERM')
    await holder?.stop()
  }

  after(async () => {
    await release()
    for (const s of servers) await s.stop()
    for (const name of Object.values(ns)) await run('ip', ['netns', 'delete', name])
  })

  it('a host whose lock a push holds is left alone (exit 6) while the other is loaded; once free, a re-run loads it', async () => {
    // The very lock file \`config push\` takes on p2 (remote/plan.ts), held as a push would hold it.
    const lock = hostPaths(path.join(dir, 'p2', 'haproxy.cfg')).lock
    // In a process group of its own: the lock is held by flock and by the sleep it runs, and both must go to free it.
    holder = startProcess('flock', [lock, 'sleep', '120'], {detached: true})
    await waitFor('the push lock on p2 to be held', async () => (await run('flock', ['--nonblock', lock, 'true'])).code !== 0 || undefined, 15_000)

    const busy = await cli(['firewall', 'apply', '--json', '--concurrency', '2'])
    expect(busy.code, busy.stdout + busy.stderr).to.equal(6)
    const report = JSON.parse(busy.stdout) as {hosts: {host: string; status: string; detail: string}[]}
    expect(report.hosts.map((h) => `${h.host} ${h.status}`)).to.deep.equal(['p1 updated', 'p2 busy'])
    expect(report.hosts[1].detail).to.include(lock)
    expect(await table(ns.one)).to.include('tcp dport 80 accept')
    expect(await table(ns.two), 'nothing loaded on the locked host').to.match(/No such file or directory|does not exist/)

    await release()
    const after = await cli(['firewall', 'apply', '--concurrency', '2'])
    expect(after.code, after.stdout + after.stderr).to.equal(0)
    expect(after.stderr).to.include('p1: unchanged')
    expect(after.stderr).to.include('p2: updated')
    expect(after.stdout).to.include('1 of 2 hosts updated')
    expect(await table(ns.two)).to.include('tcp dport 80 accept')
    expect((await run('flock', ['--nonblock', lock, 'true'])).code, 'the lock is released after the load').to.equal(0)
  })
})

