import {spawn} from 'node:child_process'
import {appendFile, mkdtemp, readFile, rename, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import {stringify} from 'yaml'

import {BIN, hactl} from '../../harness/cli.js'
import {startSshd, type Sshd} from '../../harness/sshd.js'
import {waitFor} from '../../harness/wait.js'

/** An httplog line as haproxy 2.6 writes it (`log stdout format raw`), at 10:00:SS.mmm host-local time. */
const line = (client: string, second: number, ms: number, path: string, status = 200, server = 's1'): string =>
  `${client}:40000 [28/Nov/2026:10:00:${String(second).padStart(2, '0')}.${String(ms).padStart(3, '0')}] www web/${server} 0/0/0/1/1 ${status} 100 - - ---- 1/1/0/0/0 0/0 {www.example.test} "GET ${path} HTTP/1.1"`

describe('hactl logs over ssh', function () {
  this.timeout(120_000)
  const hosts: Sshd[] = []
  let dir: string
  let logs: string[]

  before(async () => {
    hosts.push(await startSshd(), await startSshd())
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-logs-'))
    logs = [path.join(dir, 'lb1 access.log'), path.join(dir, 'lb2-access.log')]
    // lb1 wrote /slow when it ended, after later requests began: the file is out of order by 300 ms.
    await writeFile(logs[0], [line('10.0.0.1', 1, 0, '/a'), line('10.0.0.1', 3, 0, '/c'), line('10.0.0.1', 2, 800, '/slow'), 'Proxy www started.', line('10.0.0.1', 5, 0, '/e', 503, 's2')].join('\n') + '\n')
    await writeFile(logs[1], [line('10.0.0.2', 2, 0, '/b'), line('10.0.0.2', 4, 0, '/d', 404)].join('\n') + '\n')
    const knownHosts = path.join(dir, 'known_hosts')
    await writeFile(knownHosts, (await Promise.all(hosts.map((h) => readFile(h.knownHosts, 'utf8')))).join(''))
    await writeFile(path.join(dir, 'haproxy.cfg'), 'global\n')
    const cluster = {
      cluster: 'logs',
      provider: 'static',
      proxy: {engine: 'haproxy', config: './haproxy.cfg'},
      ssh: {identityFile: hosts[0].identityFile, knownHosts},
      hosts: hosts.map((h, i) => ({name: `lb${i + 1}`, address: h.host, port: h.port, user: h.user, accessLog: logs[i]})),
    }
    await writeFile(path.join(dir, 'hactl.yaml'), stringify(cluster))
    // The second host's key pair differs: authorize the first host's key there too.
    await appendFile(path.join(hosts[1].dir, 'authorized_keys'), await readFile(`${hosts[0].identityFile}.pub`))
  })

  after(async () => {
    await Promise.all(hosts.map((h) => h.stop()))
  })

  const run = (args: string[]): ReturnType<typeof hactl> => hactl([...args, '-c', path.join(dir, 'hactl.yaml')], {timeoutMs: 60_000})
  const paths = (stdout: string): string[] => stdout.trim().split('\n').filter(Boolean).map((l) => / "GET (\S+) /.exec(l)?.[1] ?? l)

  it('merges both hosts\' logs in time order, putting a line written late in its place, and counts the line that is not a request', async () => {
    const {code, stdout, stderr} = await run(['logs'])
    expect(code, stderr).to.equal(0)
    expect(paths(stdout)).to.deep.equal(['/a', '/b', '/slow', '/c', '/d', '/e'])
    expect(stdout.split('\n')[0]).to.match(/^10\.0\.0\.1 - - \[28\/Nov\/2026:\d\d:00:01 [+-]\d{4}\] "GET \/a HTTP\/1\.1" 200 100 "-" "-"$/)
    expect(stderr).to.match(/^1 line\(s\) were not access-log lines \(-v shows them\)$/m)
    const verbose = await run(['logs', '-v'])
    expect(verbose.stderr).to.include('lb1: Proxy www started.')
  })

  it('filters by status and proxy, and prints vhost_combined', async () => {
    expect(paths((await run(['logs', '--status', '4xx,5xx'])).stdout)).to.deep.equal(['/d', '/e'])
    expect(paths((await run(['logs', '--proxies', 'lb2'])).stdout)).to.deep.equal(['/b', '/d'])
    const vhost = await run(['logs', '--format', 'vhost_combined', '--proxies', 'lb2'])
    expect(vhost.stdout.split('\n')[0]).to.match(/^www\.example\.test 10\.0\.0\.2 - - \[/)
    const unknown = await run(['logs', '--proxies', 'lb9'])
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.match(/--proxies names lb9/)
  })

  it('exits 4 naming the proxy whose log is missing, and still prints the others', async () => {
    await rename(logs[1], `${logs[1]}.away`)
    try {
      const {code, stdout, stderr} = await run(['logs'])
      expect(code).to.equal(4)
      expect(stderr).to.match(/^lb2: cannot read .*lb2-access\.log: no such file$/m)
      expect(paths(stdout)).to.deep.equal(['/a', '/slow', '/c', '/e'])
    } finally {
      await rename(`${logs[1]}.away`, logs[1])
    }
  })

  it('-f follows both hosts and keeps following a log that is rotated', async () => {
    const child = spawn(process.execPath, [BIN, 'logs', '-f', '--window', '200ms', '-c', path.join(dir, 'hactl.yaml')], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // A line stamped now, in host-local time like haproxy's.
    const fresh = (client: string, p: string): string => {
      const d = new Date()
      const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
      const month = d.toLocaleString('en', {month: 'short'})
      return `${client}:40000 [${pad(d.getDate())}/${month}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}] www web/s1 0/0/0/1/1 200 100 - - ---- 1/1/0/0/0 0/0 "GET ${p} HTTP/1.1"\n`
    }
    try {
      // tail starts at the end: keep appending until the first line shows (hactl is still starting, under load).
      let n = 0
      await waitFor('the first followed line', async () => {
        await appendFile(logs[1], fresh('10.0.0.2', `/live-${n++}`))
        return out.includes('/live-') ? true : undefined
      }, 60_000, 500)
      await appendFile(logs[0], fresh('10.0.0.1', '/before-rotation'))
      await waitFor('the line before rotation', () => (out.includes('/before-rotation') ? true : undefined), 20_000)
      await rename(logs[0], `${logs[0]}.1`)
      await writeFile(logs[0], '')
      await waitFor('the line after rotation', async () => {
        await appendFile(logs[0], fresh('10.0.0.1', '/after-rotation'))
        return out.includes('/after-rotation') ? true : undefined
      }, 30_000, 1000)
      expect(out).not.to.include('/slow')
    } finally {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGTERM')
    }
    expect(await exited, err).to.equal(0)
  })
})
