import {expect} from 'chai'
import {execFile, execFileSync} from 'node:child_process'
import {chmod, chown, mkdir, mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {BIN, hactl, type CliResult} from '../../harness/cli.js'

const CONFIG = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nbackend web\n    balance roundrobin\n    server a 127.0.0.1:8080 check\n'
const HEAD = 'cluster: web\nprovider: static\nhosts: [{name: lb1, address: 127.0.0.1}]\nproxy: {config: ./haproxy.cfg}\n'

async function clusterDir(cluster: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-hostile-'))
  await writeFile(path.join(dir, 'hactl.yaml'), cluster)
  await writeFile(path.join(dir, 'haproxy.cfg'), CONFIG)
  return dir
}

/** The uid of `nobody`, when this run may become it (root with setpriv): permission errors cannot be seen as root. */
function nobody(): number | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    execFileSync('setpriv', ['--version'], {stdio: 'ignore'})
    return Number(execFileSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).trim())
  } catch {
    return undefined
  }
}

/** Run the built hactl as another user (setpriv drops root for the whole process). */
async function hactlAs(uid: number, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'setpriv',
      [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, BIN, ...args],
      {cwd, env: {...process.env, NO_COLOR: '1', HOME: cwd}, timeout: 60_000},
      (error, stdout, stderr) => resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr}),
    )
  })
}

describe('hostile and odd input: exit 2, file:line, nothing changed', function () {
  this.timeout(60_000)

  it('a YAML alias bomb in the cluster file is invalid input (exit 2) naming the line of the first alias, not a bug', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCodePoint(96 + i)
      levels.push(`${String.fromCodePoint(97 + i)}: &${String.fromCodePoint(97 + i)} [${Array.from({length: 9}, () => `*${prev}`).join(', ')}]`)
    }
    const dir = await clusterDir(`${HEAD}${levels.join('\n')}\n`)
    const r = await hactl(['backend', 'add', 'web', '127.0.0.1:9000', '--no-push'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/hactl\.yaml:6:\d+: too many YAML alias expansions/)
    expect(r.stderr).to.not.include('bug')
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(CONFIG)
  })

  it('a cluster file over 1 MB is refused at once, before it is parsed', async () => {
    const dir = await clusterDir(`${HEAD}# ${'x'.repeat(1024 * 1024)}\n`)
    const started = Date.now()
    const r = await hactl(['validate', '--json'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(2)
    const {error} = JSON.parse(r.stdout) as {error: {message: string; file: string}}
    expect(error.file).to.equal('./hactl.yaml')
    expect(error.message).to.match(/cluster files over 1 MB are refused/)
    expect(Date.now() - started, 'refused without parsing').to.be.below(20_000)
  })

  it('a list past a sane count is refused with its line (30,000 hosts)', async () => {
    const hosts = Array.from({length: 30_000}, (_, i) => `  - {name: h${i}, address: a}`).join('\n')
    const dir = await clusterDir(`cluster: web\nprovider: static\nproxy: {config: ./haproxy.cfg}\nhosts:\n${hosts}\n`)
    const r = await hactl(['validate'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/hactl\.yaml:5:3: 30000 entries in one list: a cluster file holds at most 1000/)
  })

  it('zones past their count are refused naming the key', async () => {
    const zones = Array.from({length: 40}, (_, i) => `z${i}`).join(', ')
    const dir = await clusterDir(`${HEAD}local: {zones: [${zones}]}\n`)
    const r = await hactl(['validate'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/hactl\.yaml:5:\d+: local\.zones: at most 32 zones/)
  })

  const durations: [string, string, RegExp][] = [
    ['a 0ms probe interval', 'health: {proxy: {interval: 0ms, timeout: 0ms}}', /hactl\.yaml:5:\d+: health\.proxy\.interval: 0ms is too short: write at least 50ms/],
    ['a probe interval under 50 ms', 'health:\n  proxy: {interval: 10ms, timeout: 5ms}', /hactl\.yaml:6:\d+: health\.proxy\.interval: 10ms is too short: write at least 50ms/],
    ['a timeout not shorter than the interval', 'health:\n  proxy:\n    interval: 100ms\n    timeout: 100ms', /hactl\.yaml:8:14: health\.proxy\.timeout: 100ms must be shorter than the interval \(100ms\)/],
    ['a duration beyond a day', 'failover: {holdDown: 99999999999h}', /hactl\.yaml:5:\d+: failover\.holdDown: 99999999999h is too long: write at most 24h/],
    ['a 0ms timeout', 'health: {proxy: {timeout: 0ms}}', /hactl\.yaml:5:\d+: health\.proxy\.timeout: 0ms is too short: write at least 1ms/],
    ['a 0ms ssh connect timeout', 'ssh: {connectTimeout: 0ms}', /hactl\.yaml:5:\d+: ssh\.connectTimeout: 0ms is too short: write at least 100ms/],
  ]
  for (const [what, yaml, message] of durations) {
    it(`validate refuses ${what} (exit 2, key and file:line)`, async () => {
      const dir = await clusterDir(`${HEAD}${yaml}\n`)
      const r = await hactl(['validate'], {cwd: dir})
      expect(r.code, r.stdout).to.equal(2)
      expect(r.stderr).to.match(message)
    })
  }

  it('monitor --interval below 50ms is refused (exit 2)', async () => {
    const dir = await clusterDir(HEAD)
    const r = await hactl(['monitor', '--once', '--interval', '10ms'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('out of range')
  })

  it('--file /dev/zero says it is not a regular file (exit 2)', async () => {
    const r = await hactl(['backend', 'add', 'web', '127.0.0.1:9000', '--file', '/dev/zero', '--engine', 'haproxy'])
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('/dev/zero: is not a regular file')
    expect(r.stderr).to.not.include('undefined')
  })

  it('a named pipe as --file or -c is refused at once instead of waiting for a writer', async () => {
    const dir = await clusterDir(HEAD)
    execFileSync('mkfifo', [path.join(dir, 'pipe.cfg')])
    const list = await hactl(['backend', 'list', '--file', 'pipe.cfg', '--engine', 'haproxy'], {cwd: dir, timeoutMs: 20_000})
    expect(list.code, list.stderr).to.equal(2)
    expect(list.stderr).to.include('pipe.cfg: is not a regular file')
    const validate = await hactl(['validate', '-c', 'pipe.cfg'], {cwd: dir, timeoutMs: 20_000})
    expect(validate.code, validate.stderr).to.equal(2)
    expect(validate.stderr).to.include('pipe.cfg: is not a regular file')
  })

  it('-c /dev/zero says it is not a regular file (exit 2)', async () => {
    const r = await hactl(['validate', '-c', '/dev/zero'])
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('/dev/zero: is not a regular file')
  })

  describe('permissions (run as nobody)', function () {
    const uid = nobody()
    before(function () {
      if (uid === undefined) this.skip() // needs root and setpriv to become another user: root reads and writes everything
      // The checkout itself must be readable by that user (a clone inside a private folder is not).
      try {
        execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(BIN)}, 4)`], {stdio: 'ignore'})
      } catch {
        this.skip()
      }
    })

    async function sharedDir(): Promise<string> {
      const dir = await clusterDir(HEAD)
      await chmod(dir, 0o755)
      return dir
    }

    it('an unreadable --file is "permission denied", exit 2, not "being edited by another hactl run" (exit 6)', async () => {
      const dir = await sharedDir()
      const file = path.join(dir, 'secret.cfg')
      await writeFile(file, CONFIG, {mode: 0o600})
      const r = await hactlAs(uid!, ['backend', 'add', 'web', '127.0.0.1:9000', '--file', 'secret.cfg'], dir)
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/secret\.cfg: permission denied: this user may not read and write it \(EACCES\)/)
      expect(r.stderr).to.not.include('another hactl run')
      expect(await readFile(file, 'utf8')).to.equal(CONFIG)
    })

    it('a file in a folder the user cannot write is reported as that, exit 2', async () => {
      const dir = await sharedDir()
      await mkdir(path.join(dir, 'etc'), {mode: 0o755})
      const file = path.join(dir, 'etc', 'haproxy.cfg')
      await writeFile(file, CONFIG)
      await chown(file, uid!, uid!)
      const r = await hactlAs(uid!, ['backend', 'add', 'web', '127.0.0.1:9000', '--file', 'etc/haproxy.cfg'], dir)
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/etc\/haproxy\.cfg: cannot write in its folder .*etc \(EACCES\)/)
      expect(await readFile(file, 'utf8')).to.equal(CONFIG)
      expect(await readdir(path.join(dir, 'etc'))).to.deep.equal(['haproxy.cfg'])
    })

    it('an unreadable cluster file says permission denied (exit 2)', async () => {
      const dir = await sharedDir()
      await chmod(path.join(dir, 'hactl.yaml'), 0o600)
      const r = await hactlAs(uid!, ['validate'], dir)
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.include('permission denied')
    })
  })

  describe('a proxy.config that is not a proxy config', () => {
    const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'

    it('backend add --create refuses to append to it (exit 2) and leaves it untouched', async () => {
      const dir = await clusterDir(HEAD)
      await writeFile(path.join(dir, 'haproxy.cfg'), PASSWD)
      const r = await hactl(['backend', 'add', 'web', '127.0.0.1:9000', '--create', '--no-push'], {cwd: dir})
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.include('haproxy.cfg: does not look like a haproxy config')
      expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(PASSWD)
    })

    it('--engine does not make it one either', async () => {
      const dir = await clusterDir(HEAD)
      await writeFile(path.join(dir, 'passwd'), PASSWD)
      const r = await hactl(['backend', 'add', 'web', '127.0.0.1:9000', '--create', '--file', 'passwd', '--engine', 'haproxy'], {cwd: dir})
      expect(r.code, r.stderr).to.equal(2)
      expect(await readFile(path.join(dir, 'passwd'), 'utf8')).to.equal(PASSWD)
    })

    it('an empty file with --engine is a config yet to be written', async () => {
      const dir = await clusterDir(HEAD)
      await writeFile(path.join(dir, 'new.cfg'), '')
      const r = await hactl(['backend', 'add', 'web', '127.0.0.1:9000', '--create', '--file', 'new.cfg', '--engine', 'haproxy', '--no-validate'], {cwd: dir})
      expect(r.code, r.stderr).to.equal(0)
      expect(await readFile(path.join(dir, 'new.cfg'), 'utf8')).to.match(/^backend web\n\s+server /)
    })
  })
})
