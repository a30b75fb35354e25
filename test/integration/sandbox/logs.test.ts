import {spawn} from 'node:child_process'
import {readdir, readFile} from 'node:fs/promises'

import {expect} from 'chai'

import {BIN} from '../../harness/cli.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

// `127.0.0.1 - - [28/Nov/2026:10:32:19 +0000] "GET /path HTTP/1.1" 200 12 "-" "-"`
const COMBINED = /^(\S+) - (\S+) \[(\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+|-) "(.*)" "(.*)"$/

describe('hactl logs: one access log for the whole sandbox', function () {
  this.timeout(180_000)
  let sb: TestSandbox

  before(async () => {
    sb = await upSandbox(8)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    await sb?.down()
  })

  /** Sequential requests through every address, so each proxy serves some; the order they were made in. */
  async function traffic(tag: string, count: number): Promise<string[]> {
    const paths: string[] = []
    const proxies = new Set<string>()
    for (let i = 0; i < count; i++) {
      const path = `/${tag}/${i}`
      const answer = await sb.get(sb.eip((i % 3) + 1), path)
      expect(answer.status).to.be.within(200, 499)
      if (answer.proxy) proxies.add(answer.proxy)
      paths.push(path)
    }
    expect([...proxies].sort()).to.deep.equal(['proxy-1', 'proxy-2', 'proxy-3'])
    return paths
  }

  it('prints every request through all three proxies once, in time order, in Apache combined format', async () => {
    const paths = await traffic('merged', 15)
    const seen = await waitFor('all requests in hactl logs', async () => {
      const {code, stdout, stderr} = await sb.run(['logs'])
      expect(code, stderr).to.equal(0)
      const lines = stdout.trim().split('\n').filter((l) => l.includes('/merged/'))
      return lines.length >= paths.length ? lines : undefined
    })
    for (const line of seen) expect(line).to.match(COMBINED)
    expect(seen.map((l) => COMBINED.exec(l)?.[5])).to.deep.equal(paths)
  })

  it('gives backend, server and timings in JSON, and filters by proxy and status', async () => {
    const {code, stdout, stderr} = await sb.run(['logs', '--format', 'json', '--proxies', 'proxy-2', '--backend', 'web'])
    expect(code, stderr).to.equal(0)
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l) as {proxy: string; backend: string; server: string; time: string; timings: {total: number}; vhost: string})
    expect(records.length).to.be.greaterThan(0)
    for (const r of records) {
      expect(r).to.include({proxy: 'proxy-2', backend: 'web'})
      expect(r.server).to.match(/^web\d$/)
      expect(r.timings.total).to.be.a('number')
    }
    const times = records.map((r) => Date.parse(r.time))
    expect(times).to.deep.equal([...times].sort((a, b) => a - b))
    const none = await sb.run(['logs', '--status', '5xx'])
    expect(none.code, none.stderr).to.equal(0)
    expect(none.stdout).to.equal('')
    const bad = await sb.run(['logs', '--status', 'teapot'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--status teapot: not a status/)
  })

  /** The `tail -F` processes under `pid` that read a log of this sandbox. */
  async function followers(pid: number): Promise<number> {
    const parents = new Map<number, number>()
    const tails: number[] = []
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const [stat, cmdline] = await Promise.all([readFile(`/proc/${entry}/stat`, 'utf8'), readFile(`/proc/${entry}/cmdline`, 'utf8')]).catch(() => ['', ''])
      // The parent pid is the second field after the parenthesised command name.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(Number(entry), ppid)
      const argv = cmdline.split('\0')
      if (argv[0] === 'tail' && argv.includes('-F') && argv.some((a) => a.startsWith(sb.dir))) tails.push(Number(entry))
    }
    const under = (p: number): boolean => {
      for (let q = parents.get(p); q !== undefined && q > 1; q = parents.get(q)) if (q === pid) return true
      return false
    }
    return tails.filter(under).length
  }

  it('-f keeps printing new requests from every proxy as they are logged', async () => {
    const child = spawn(process.execPath, [BIN, 'logs', '-f', '--window', '300ms', '-c', sb.clusterFile], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      // Requests sent before a proxy's tail is running are, rightly, never printed: send once all three follow.
      await waitFor('a tail -F on every proxy\'s log', async () => ((await followers(child.pid as number)) >= 3 ? true : undefined), 30_000)
      // Without --since, -f starts at the end: nothing from the tests before.
      const paths = await waitFor('follow to print new requests', async () => {
        const sent = await traffic(`follow${Date.now()}`, 6)
        await waitFor('the lines', () => (sent.every((p) => out.includes(` ${p} `)) ? true : undefined), 10_000).catch(() => undefined)
        return sent.every((p) => out.includes(` ${p} `)) ? sent : undefined
      }, 60_000, 500)
      const lines = out.trim().split('\n')
      expect(lines.filter((l) => l.includes('/merged/'))).to.deep.equal([])
      const printed = lines.map((l) => COMBINED.exec(l)?.[5]).filter((p) => p !== undefined && paths.includes(p))
      expect(printed).to.deep.equal(paths)
    } finally {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGTERM')
    }
    expect(await exited, err).to.equal(0)
  })
})
