import {expect} from 'chai'
import {createServer, type Server} from 'node:http'

import {freePort} from '../../harness/ports.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

/** Requests through every Elastic IP, one after another on fresh connections, until stopped. */
function steadyTraffic(sb: TestSandbox): {stop: () => Promise<{ok: number; failed: string[]}>} {
  let running = true
  const failed: string[] = []
  let ok = 0
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const ip = sb.eip((n % 3) + 1)
      try {
        const reply = await sb.get(ip)
        if (reply.status === 200) ok++
        else failed.push(`${ip}: HTTP ${reply.status}`)
      } catch (error) {
        failed.push(`${ip}: ${(error as Error).message}`)
      }
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return {ok, failed}
    },
  }
}

describe('backend add and remove on the sandbox, pushed to every proxy through the local transport', function () {
  this.timeout(120_000)
  let sb: TestSandbox
  let extra: Server
  let extraPort: number

  before(async () => {
    sb = await upSandbox(24)
    extraPort = await freePort()
    extra = createServer((_req, res) => res.end('web9 extra\n'))
    await new Promise<void>((resolve) => extra.listen(extraPort, `${sb.nets.backend}.9`, () => resolve()))
  })

  after(async () => {
    await sb?.down()
    extra?.close()
  })

  async function bodiesThrough(ip: string, count: number): Promise<string[]> {
    const bodies: string[] = []
    for (let i = 0; i < count; i++) bodies.push((await sb.get(ip)).body.split(' ')[0])
    return bodies
  }

  it('backend add pushes a new backend that every Elastic IP then serves, with no failed request during the reload', async () => {
    const traffic = steadyTraffic(sb)
    const add = await sb.run(['backend', 'add', 'web', `${sb.nets.backend}.9:${extraPort}`, '--name', 'web9', '--yes'])
    const {ok, failed} = await traffic.stop()
    expect(add.code, add.stderr + add.stdout).to.equal(0)
    expect(add.stdout + add.stderr).to.match(/3 updated/)
    expect(failed, 'requests that failed during the push').to.deep.equal([])
    expect(ok).to.be.greaterThan(0)
    // A master-worker reload hands over to the new workers a moment after the signal.
    for (const n of [1, 2, 3]) await waitFor(`web9 through ${sb.eip(n)}`, async () => (await bodiesThrough(sb.eip(n), 5)).includes('web9') || undefined, 10_000)
  })

  it('backend remove pushes it out of every proxy, with no failed request during the reload', async () => {
    const traffic = steadyTraffic(sb)
    const remove = await sb.run(['backend', 'remove', 'web', 'web9', '--yes'])
    const {failed} = await traffic.stop()
    expect(remove.code, remove.stderr + remove.stdout).to.equal(0)
    const again = await sb.run(['config', 'push', '--yes'])
    expect(again.code, 'a push after it has nothing left to do').to.equal(0)
    expect(failed, 'requests that failed during the push').to.deep.equal([])
    for (const n of [1, 2, 3]) await waitFor(`no web9 through ${sb.eip(n)}`, async () => !(await bodiesThrough(sb.eip(n), 10)).includes('web9') || undefined, 10_000)
  })
})
