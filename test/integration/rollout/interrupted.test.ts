import {expect} from 'chai'
import {execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import type {Stats} from 'node:fs'
import {chmod, lstat, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {createServer, connect, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {hactl, ROOT, SRC_CHILD_ENV} from '../../harness/cli.js'
import {expectServing, useProxyHosts, workerPid, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'
import {waitFor} from '../../harness/wait.js'

const run = promisify(execFile)
const sha256 = (text: string): string => createHash('sha256').update(text, 'latin1').digest('hex')

/** Every point of a host's rollout where the client can die: the write went out, the lock is held, then each step the host reported done. */
const POINTS = ['send', 'lock', 'upload', 'validate', 'backup', 'install', 'reload', 'check'] as const
/** From here on the host had the whole config: it must finish the change without the client. */
const HOST_HAS_IT = new Set<string>(['upload', 'validate', 'backup', 'install', 'reload', 'check'])

async function processes(): Promise<{pid: number; ppid: number; cmdline: string}[]> {
  const found = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ')
      const ppid = Number(/^\d+ \(.*\) \S (\d+)/s.exec(await readFile(`/proc/${entry}/stat`, 'utf8'))?.[1])
      found.push({pid: Number(entry), ppid, cmdline})
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/**
 * Wait until nothing is left of the killed push on this host: no session of
 * the host's sshd, no process naming the host's rollout files (flock, the
 * install script), and the lock free. Conditions, not time.
 */
async function settled(host: ProxyHost): Promise<void> {
  const files = path.join(path.dirname(host.live), '.haproxy.cfg.hactl-')
  const sshd = Number((await readFile(path.join(host.sshd.dir, 'sshd.pid'), 'utf8')).trim())
  await waitFor(
    `the killed push on ${host.name} to end`,
    async () => {
      const all = await processes()
      return !all.some((p) => p.ppid === sshd || (p.pid !== process.pid && p.cmdline.includes(files))) || undefined
    },
    30_000,
  )
  await run('flock', ['--nonblock', `${files}lock`, 'true'])
}

/** The host runs what its live file says, nothing of the push is left, and the record of what is loaded tells the truth. */
async function expectOldOrNewAndLoaded(host: ProxyHost, v1: string, v2: string): Promise<string> {
  const live = await expectServing(host, [v1, v2])
  const dir = path.dirname(host.live)
  expect((await readdir(dir)).filter((f) => f.endsWith('.hactl-new') || f.endsWith('.hactl-log'))).to.deep.equal([])
  const record = await readFile(path.join(dir, '.haproxy.cfg.hactl-loaded'), 'latin1').catch(() => undefined)
  if (record !== undefined) expect(record.trim()).to.equal(sha256(live))
  return live
}

describe('a push killed half-way: every host ends old-and-loaded or new-and-loaded', function () {
  this.timeout(300_000)
  const fixture = useProxyHosts(['h1'])
  let host: ProxyHost
  let v1 = ''
  let v2 = ''

  beforeEach(() => {
    ;({v1, v2} = fixture)
    host = fixture.hosts[0]
  })

  for (const point of POINTS) {
    it(`over ssh, killed after ${point}: the host finishes or keeps the old config, and config diff tells which`, async () => {
      const dir = await writeCluster([host], v2)
      const killed = await hactl(['config', 'push'], {cwd: dir, env: {HACTL_TEST_KILL_AFTER: point}})
      expect(killed.signal, killed.stderr).to.equal('SIGKILL')
      await settled(host)
      const live = await expectOldOrNewAndLoaded(host, v1, v2)
      if (HOST_HAS_IT.has(point)) expect(live, `killed after ${point}`).to.equal(v2)

      const diff = await hactl(['config', 'diff'], {cwd: dir})
      expect(diff.code, diff.stdout).to.equal(live === v2 ? 0 : 5)
      expect(diff.stdout).to.include(live === v2 ? 'h1: in sync' : 'h1: drift')
      const again = await hactl(['config', 'push'], {cwd: dir})
      expect(again.code, again.stderr).to.equal(0)
      await expectOldOrNewAndLoaded(host, v2, v2)
    })
  }

  for (const point of POINTS) {
    it(`over the local transport, killed after ${point}: the host finishes or keeps the old config`, async () => {
      const source = path.join(await mkdtemp(path.join(tmpdir(), 'hactl-local-push-')), 'haproxy.cfg')
      await writeFile(source, v2, 'latin1')
      const target = {name: 'h1', transport: 'local', remotePath: host.live, reload: host.entry.reload, check: host.entry.check, validate: 'haproxy -c -f {file}'}
      const push = (env: Record<string, string> = {}): Promise<{code: number; signal?: string; stdout: string}> =>
        new Promise((resolve) => {
          execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/harness/local-push.ts'), JSON.stringify(target), source], {cwd: ROOT, env: {...process.env, ...SRC_CHILD_ENV, ...env}}, (error, stdout) =>
            resolve({code: typeof error?.code === 'number' ? error.code : 0, signal: error?.signal ?? undefined, stdout}),
          )
        })
      const killed = await push({HACTL_TEST_KILL_AFTER: point})
      expect(killed.signal, killed.stdout).to.equal('SIGKILL')
      await settled(host)
      const live = await expectOldOrNewAndLoaded(host, v1, v2)
      if (HOST_HAS_IT.has(point)) expect(live, `killed after ${point}`).to.equal(v2)
      const again = await push()
      expect(JSON.parse(again.stdout).hosts[0].status).to.equal(live === v2 ? 'unchanged' : 'updated')
      await expectOldOrNewAndLoaded(host, v2, v2)
    })
  }

  it('a client killed while the host validates: the host still installs, reloads and records the config', async () => {
    const folder = path.dirname(host.live)
    const {validate} = host.entry
    // The validator waits until the test says the client is gone, so every later step runs with nobody listening.
    host.entry.validate = `touch ${folder}/validating; while [ ! -e ${folder}/go ]; do sleep 0.05; done; haproxy -c -f {file}`
    try {
      const dir = await writeCluster([host], v2)
      const client = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'config', 'push'], {cwd: dir, stdio: 'ignore'})
      const gone = new Promise((resolve) => client.once('exit', resolve))
      await waitFor('the host to validate', async () => (await readdir(folder)).includes('validating') || undefined, 60_000)
      client.kill('SIGKILL')
      await gone
      const sshd = Number((await readFile(path.join(host.sshd.dir, 'sshd.pid'), 'utf8')).trim())
      // The SSH session ends with its client; only what runs on the host on its own is left.
      await waitFor('the session to end', async () => !(await processes()).some((p) => p.ppid === sshd && p.cmdline.includes('sshd')) || undefined, 30_000)
      await writeFile(path.join(folder, 'go'), '')
      await settled(host)
      expect(await expectOldOrNewAndLoaded(host, v1, v2)).to.equal(v2)
      expect((await readFile(path.join(folder, '.haproxy.cfg.hactl-loaded'), 'latin1')).trim()).to.equal(sha256(v2))
      expect((await hactl(['config', 'diff'], {cwd: dir})).code).to.equal(0)
    } finally {
      host.entry.validate = validate
      await rm(path.join(folder, 'go'), {force: true})
      await rm(path.join(folder, 'validating'), {force: true})
    }
  })

  it('a live file installed but never loaded is drift for config diff, and config push reloads it', async () => {
    const dir = await writeCluster([host], v2)
    // What a host crash between install and reload leaves: the new file, the old config running, the record naming it.
    await writeFile(path.join(path.dirname(host.live), '.haproxy.cfg.hactl-loaded'), `${sha256(v1)}\n`)
    await writeFile(path.join(path.dirname(host.live), 'haproxy.cfg.hactl-backup'), v1, 'latin1')
    await writeFile(host.live, v2, 'latin1')
    const diff = await hactl(['config', 'diff', '--json'], {cwd: dir})
    expect(diff.code).to.equal(5)
    expect(JSON.parse(diff.stdout).hosts[0]).to.include({status: 'not-loaded'})
    const text = await hactl(['config', 'diff'], {cwd: dir})
    expect(text.stdout).to.include('h1: installed but not loaded: the proxy still runs the previous config')

    const push = await hactl(['config', 'push', '--json'], {cwd: dir})
    expect(push.code, push.stderr).to.equal(0)
    expect(JSON.parse(push.stdout).hosts[0].status).to.equal('updated')
    await expectServing(host, [v2])
    expect((await hactl(['config', 'diff'], {cwd: dir})).code).to.equal(0)
  })

  it('--force-reload reloads a host that already runs the source', async () => {
    const dir = await writeCluster([host], v2)
    expect((await hactl(['config', 'push'], {cwd: dir})).code).to.equal(0)
    await expectServing(host, [v2])
    const before = await workerPid(host)
    const unchanged = await hactl(['config', 'push', '--json'], {cwd: dir})
    expect(JSON.parse(unchanged.stdout).hosts[0].status).to.equal('unchanged')
    expect(await workerPid(host)).to.equal(before)
    const forced = await hactl(['config', 'push', '--force-reload', '--json'], {cwd: dir})
    expect(forced.code, forced.stderr).to.equal(0)
    expect(JSON.parse(forced.stdout).hosts[0].status).to.equal('updated')
    await waitFor('a new haproxy worker', async () => (await workerPid(host).catch(() => before)) !== before || undefined, 15_000)
  })

  it('busy says what to do next', async () => {
    const dir = await writeCluster([host], v2)
    const lock = path.join(path.dirname(host.live), '.haproxy.cfg.hactl-lock')
    const holder = execFile('flock', [lock, 'sh', '-c', 'echo held; read x'])
    try {
      await new Promise((resolve) => holder.stdout?.once('data', resolve))
      const busy = await hactl(['config', 'push'], {cwd: dir})
      expect(busy.code).to.equal(6)
      expect(busy.stderr).to.match(/→ Another push holds the lock on this host/)
    } finally {
      holder.stdin?.end('\n')
    }
  })
})

/** A relay that passes the client's first `limit` bytes, then holds the rest until cut. */
async function stallingRelay(port: number, limit: number): Promise<{port: number; server: Server; cut: () => void}> {
  const sockets: Socket[] = []
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    sockets.push(client, upstream)
    let sent = 0
    client.on('data', (d: Buffer) => {
      const room = Math.max(0, limit - sent)
      sent += d.length
      if (room > 0) upstream.write(d.subarray(0, room))
    })
    upstream.pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {port: typeof address === 'object' && address ? address.port : 0, server, cut: () => sockets.forEach((s) => s.destroy())}
}

/**
 * A push of a large version of `config` whose upload stalls half-way and is
 * then cut: exit 4, and the temp file gone again. Returns the temp file's
 * stat while it was partly written.
 */
async function cutHalfway(host: ProxyHost, config: string): Promise<Stats> {
  const big = `${config}${'# padding padding padding padding padding padding padding padding\n'.repeat(10_000)}`
  const relay = await stallingRelay(host.sshd.port, 200_000)
  const temp = path.join(path.dirname(host.live), '.haproxy.cfg.hactl-new')
  try {
    const dir = await writeCluster([{...host, entry: {...host.entry, port: relay.port}}], big, {knownHosts: `[127.0.0.1]:${relay.port} ${host.sshd.hostKey}\n`})
    const push = hactl(['config', 'push'], {cwd: dir})
    // The upload stalls half-way: the temp file is there, partly written.
    const partial = await waitFor('the temp file, partly written', async () => {
      const st = await stat(temp).catch(() => undefined)
      return st && st.size > 0 ? st : undefined
    }, 60_000)
    relay.cut()
    const done = await push
    expect(done.code, done.stderr).to.equal(4)
    await waitFor('the cut upload to be cleaned up', async () => !(await readdir(path.dirname(host.live))).includes('.haproxy.cfg.hactl-new') || undefined, 30_000)
    return partial
  } finally {
    relay.server.close()
    relay.cut()
  }
}

describe('the temp file of a push', function () {
  this.timeout(120_000)
  const fixture = useProxyHosts(['h1'])

  it('a leftover of an interrupted push is removed by the next push, even one with nothing to do', async () => {
    const [host] = fixture.hosts
    const leftover = path.join(path.dirname(host.live), '.haproxy.cfg.hactl-new')
    await writeFile(leftover, 'secret: half a config\n', {mode: 0o644})
    const dir = await writeCluster([host], fixture.v1)
    const push = await hactl(['config', 'push', '--json'], {cwd: dir})
    expect(push.code, push.stderr).to.equal(0)
    expect(JSON.parse(push.stdout).hosts[0].status).to.equal('unchanged')
    expect(await readdir(path.dirname(host.live))).not.to.include('.haproxy.cfg.hactl-new')
  })

  it('has the live file\'s mode from its first byte (0640 while the upload is half-way), and an executable live file\'s mode once installed', async () => {
    // It ends on v1, which the next test's reset already runs: that reset cannot be fooled by this test's last reload.
    const [host] = fixture.hosts
    await chmod(host.live, 0o640)
    const partial = await cutHalfway(host, fixture.v2)
    expect((partial.mode & 0o777).toString(8)).to.equal('640')
    const direct = await writeCluster([host], fixture.v2)
    expect((await hactl(['config', 'push'], {cwd: direct})).code).to.equal(0)
    expect(((await stat(host.live)).mode & 0o777).toString(8)).to.equal('640')
    // A umask cannot give execute bits: the file is made 0600 and given the mode before it is validated.
    await chmod(host.live, 0o750)
    const again = await writeCluster([host], fixture.v1)
    expect((await hactl(['config', 'push'], {cwd: again})).code).to.equal(0)
    expect(((await stat(host.live)).mode & 0o777).toString(8)).to.equal('750')
  })

  it('never has group or other bits on a 0600 config, owner and group as the live file, and an interrupted upload leaves none', async () => {
    const [host] = fixture.hosts
    await chmod(host.live, 0o600)
    const partial = await cutHalfway(host, fixture.v2)
    const live = await stat(host.live)
    expect((partial.mode & 0o777).toString(8)).to.equal('600')
    expect([partial.uid, partial.gid]).to.deep.equal([live.uid, live.gid])
    await expectServing(host, [fixture.v1])
    expect(((await stat(host.live)).mode & 0o777).toString(8)).to.equal('600')
    // The next push installs it with the live file's mode.
    const direct = await writeCluster([host], fixture.v2)
    expect((await hactl(['config', 'push'], {cwd: direct})).code).to.equal(0)
    expect(((await stat(host.live)).mode & 0o777).toString(8)).to.equal('600')
  })

  it('refuses a live file that is a symbolic link, changing nothing, and says which file to name instead', async () => {
    const [host] = fixture.hosts
    const real = path.join(path.dirname(host.live), 'haproxy.real.cfg')
    const before = await readFile(host.live, 'latin1')
    await rename(host.live, real)
    await symlink('haproxy.real.cfg', host.live)
    try {
      const dir = await writeCluster([host], fixture.v2)
      const push = await hactl(['config', 'push', '--json'], {cwd: dir})
      expect(push.code, push.stderr).to.equal(4)
      const [result] = JSON.parse(push.stdout).hosts
      expect(result.status).to.equal('failed')
      expect(result.message).to.include('is a symbolic link').and.include(real)
      expect((await lstat(host.live)).isSymbolicLink()).to.equal(true)
      expect(await readFile(real, 'latin1')).to.equal(before)
      expect((await readdir(path.dirname(host.live))).filter((f) => f.includes('.hactl-new'))).to.deep.equal([])
    } finally {
      await rm(host.live, {force: true})
      await rename(real, host.live)
    }
  })
})
