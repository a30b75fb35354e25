import {expect} from 'chai'

import {BIN, hactlOnTerminal} from '../../harness/cli.js'
import {startProcess, type Started} from '../../harness/process.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface StatusJson {
  proxies: {id: string; name: string; state: string; probe: string; health: string; addresses: string[]}[]
  addresses: {publicIp: string; holder?: string; holderName?: string}[]
  monitor: {stopped: boolean; once: boolean; ageMs?: number}
  problems: string[]
  degraded: boolean
}

/**
 * What `status`, `monitor` and the `eip` commands tell a person about a
 * sandbox whose proxy died or whose monitor stopped, through the built CLI.
 */
describe('status, monitor and eip on a sandbox with a dead proxy or a stopped monitor', function () {
  this.timeout(180_000)
  let sb: TestSandbox
  let monitor: Started | undefined

  const status = async (): Promise<{code: number; body: StatusJson}> => {
    const r = await sb.run(['status', '--json', '--no-backends'])
    return {code: r.code, body: JSON.parse(r.stdout) as StatusJson}
  }
  const holderOf = async (ip: string): Promise<string | undefined> => (await status()).body.addresses.find((a) => a.publicIp === ip)?.holderName

  before(async () => {
    sb = await upSandbox(44)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    await monitor?.stop()
    await sb?.down()
  })

  it('status shows what the probe sees beside what the cloud says', async () => {
    const healthy = await status()
    expect(healthy.code, JSON.stringify(healthy.body.problems)).to.equal(0)
    for (const p of healthy.body.proxies) expect(p.probe).to.match(/^HTTP 200 in \d+ ms$/)

    expect((await sb.run(['sandbox', 'kill', 'proxy-2'])).code).to.equal(0)
    const dead = await status()
    expect(dead.code).to.equal(5)
    const p2 = dead.body.proxies.find((p) => p.name === 'proxy-2')
    expect(p2).to.include({state: 'running', health: 'unhealthy'})
    expect(p2?.probe).to.match(/refused|timed out|reset/)
    const text = await sb.run(['status', '--no-backends'])
    expect(text.stdout).to.match(/proxy proxy-2 is unhealthy: the cloud says running, the probe saw (connection refused|timed out)/)
  })

  it('eip attach refuses a dead proxy unless --force, and an address left there exits 5', async () => {
    const ip = sb.eip(1)
    const before = await holderOf(ip)
    expect(before).to.not.equal('proxy-2')
    const refused = await sb.run(['eip', 'attach', ip, 'proxy-2'])
    expect(refused.code, refused.stdout + refused.stderr).to.equal(2)
    expect(refused.stderr).to.match(/proxy-2 is unhealthy \((connection refused|timed out[^)]*)\)/)
    expect(refused.stderr).to.include('--force')
    expect(await holderOf(ip), 'nothing changed').to.equal(before)

    const wrongTarget = await sb.run(['eip', 'failover', ip, '--to', 'proxy-2'])
    expect(wrongTarget.code, wrongTarget.stdout + wrongTarget.stderr).to.equal(2)
    expect(wrongTarget.stderr).to.include('proxy-2 is unhealthy')
    expect(await holderOf(ip)).to.equal(before)

    const forced = await sb.run(['eip', 'attach', ip, 'proxy-2', '--force'])
    expect(forced.code, forced.stdout + forced.stderr).to.equal(5)
    expect(forced.stdout).to.include(`attached ${ip} to proxy-2`)
    expect(forced.stdout).to.include('serves nothing there')
    expect(await holderOf(ip)).to.equal('proxy-2')
  })

  it('eip failover of one address does not report success while another sits on a dead proxy', async () => {
    const dead = (await status()).body.proxies.find((p) => p.name === 'proxy-2')
    expect(dead?.addresses.length).to.equal(2)
    const [first, second] = dead?.addresses ?? []
    const one = await sb.run(['eip', 'failover', first])
    expect(one.code, one.stdout + one.stderr).to.equal(5)
    expect(one.stdout).to.include(`also on a failed proxy: ${second}`)
    expect(one.stdout).to.not.include('every address is on a healthy proxy')
    const all = await sb.run(['eip', 'failover'])
    expect(all.code, all.stdout + all.stderr).to.equal(0)
    expect(all.stdout).to.include('every address is on a healthy proxy')
    expect(all.stdout, 'lines name proxies by name').to.match(/→ proxy-[13] \(/)
    expect(all.stderr, 'progress lines too').to.match(/moving proxy-2 → proxy-[13] \(/)
    expect(all.stdout + all.stderr).to.not.match(/\bi-[0-9a-f]{8,}/)
  })

  it('monitor --json prints one JSON object per line; status says when the monitor stopped', async () => {
    expect((await sb.run(['sandbox', 'revive', 'proxy-2'])).code).to.equal(0)
    monitor = startProcess(process.execPath, [BIN, 'monitor', '--json', '-c', sb.clusterFile], {env: {...process.env, NO_COLOR: '1'}})
    await waitFor('rounds as JSON lines', () => (monitor?.output().match(/"code":"health.transition"/g)?.length ?? 0) >= 3 || undefined, 30_000)
    const running = await status()
    expect(running.body.monitor.stopped).to.equal(false)
    expect(running.body.problems.join('\n')).to.not.include('monitor not running')
    await monitor.stop()
    const lines = monitor.output().trim().split('\n')
    const events = lines.map((line) => JSON.parse(line) as {code: string; round: string; time: string})
    expect(events[0].code).to.equal('monitor.start')
    expect(events.at(-1)?.code).to.equal('monitor.result')
    expect(events.slice(0, -1).every((e) => e.time && typeof e.round === 'string')).to.equal(true)
    monitor = undefined

    // The sandbox's rounds are 500 ms apart: three missed rounds and status says so.
    const stopped = await waitFor('status to see the monitor stopped', async () => {
      const r = await status()
      return r.body.monitor.stopped ? r : undefined
    }, 20_000, 200)
    expect(stopped.code).to.equal(5)
    expect(stopped.body.problems.join('\n')).to.match(/monitor not running \(last round \d+(\.\d)? s ago/)
    const text = await sb.run(['status', '--no-backends'])
    expect(text.stdout).to.match(/^monitor not running \(last round [\d.]+ s ago\)/m)

    // A cron-style run is not a stopped monitor: no round is due until its next run.
    expect((await sb.run(['monitor', '--once'])).code).to.equal(0)
    const cron = await status()
    expect(cron.body.monitor).to.include({once: true, stopped: false})
  })

  it('on a terminal, monitor and status lines name proxies by name, not by instance id', async function () {
    expect((await sb.run(['sandbox', 'kill', 'proxy-3'])).code).to.equal(0)
    // Cron-style rounds carry the fall counter from one run to the next; on the second the address moves.
    let seen = ''
    await waitFor('the monitor to move the dead proxy\'s address', async () => {
      const r = await hactlOnTerminal(['monitor', '--once', '-c', sb.clusterFile])
      if (r.code === 127) return 'no script(1)'
      seen += r.stdout
      return /move \S+ from proxy-3 to proxy-[12]/.test(seen) || undefined
    }, 60_000, 100)
    if (!seen) this.skip()
    expect(seen).to.match(/proxy-3: \w+ → unhealthy/)
    expect(seen, 'no instance id in a line a person reads').to.not.match(/\bi-[0-9a-f]{8,}/)
    expect((await sb.run(['sandbox', 'revive', 'proxy-3'])).code).to.equal(0)
    const statusTty = await hactlOnTerminal(['status', '--no-backends', '-c', sb.clusterFile])
    const addresses = statusTty.stdout.split('\n\n').find((s) => s.startsWith('addresses')) ?? ''
    expect(addresses).to.match(/HOLDER/)
    expect(addresses).to.match(/proxy-\d/)
    expect(addresses).to.not.match(/\bi-[0-9a-f]{8,}/)
    const list = await hactlOnTerminal(['eip', 'list', '-c', sb.clusterFile])
    expect(list.stdout).to.match(/^127\.\d+\.2\.1 +eipalloc-\S+ +proxy-\d/m)
  })
})
