import {expect} from 'chai'
import {request} from 'node:http'

import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface Reply {
  status: number
  /** The demo backend's first words: its name and ADDRESS:PORT. */
  backend: string
  endpoint: string
  setCookie?: string
}

/** One request with a Cookie header, on a fresh connection. */
function get(host: string, port: number, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({host, port, path: '/', agent: false, timeout: 3000, headers: cookie ? {cookie} : {}}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => {
        const [backend = '', endpoint = ''] = body.split(' ')
        const set = res.headers['set-cookie']?.[0]?.split(';')[0]
        resolve({status: res.statusCode ?? 0, backend, endpoint, setCookie: set})
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

describe('backend affinity cookie on the sandbox: clients stay on one server, and move when it is removed', function () {
  this.timeout(180_000)
  let sb: TestSandbox

  before(async () => {
    sb = await upSandbox(56)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    await sb?.down()
  })

  /** A browser's worth of cookie handling: send what we hold, keep what the proxy sets. */
  async function session(cookie: string | undefined, count: number): Promise<{cookie?: string; replies: Reply[]}> {
    const replies: Reply[] = []
    for (let i = 0; i < count; i++) {
      const reply = await get(sb.eip((i % 3) + 1), sb.ports.proxy, cookie)
      if (reply.setCookie) cookie = reply.setCookie
      replies.push(reply)
    }
    return {cookie, replies}
  }

  it('cookie affinity is rolled out; 50 requests carrying the cookie, through every address, reach one backend', async () => {
    const set = await sb.run(['backend', 'affinity', 'web', 'cookie', '--yes'])
    expect(set.code, set.stderr + set.stdout).to.equal(0)
    expect(set.stdout + set.stderr).to.match(/3 updated/)
    const again = await sb.run(['backend', 'affinity', 'web', 'cookie', '--yes', '--json'])
    expect(again.code, again.stderr).to.equal(0)
    expect(JSON.parse(again.stdout).changed).to.equal(false)
    const list = await sb.run(['backend', 'list', '--json'])
    expect(JSON.parse(list.stdout).backends[0].affinity).to.deep.equal({mode: 'cookie', cookie: 'SERVERID'})

    // Every proxy reloads a moment after the push: wait until each one sets the cookie.
    for (const n of [1, 2, 3]) await waitFor(`a SERVERID cookie from ${sb.eip(n)}`, async () => (await get(sb.eip(n), sb.ports.proxy)).setCookie?.startsWith('SERVERID=') || undefined, 15_000)
    const first = await get(sb.eip(1), sb.ports.proxy)
    expect(first.setCookie).to.match(/^SERVERID=/)
    const {replies} = await session(first.setCookie, 50)
    expect(replies.map((r) => r.status)).to.deep.equal(Array.from({length: 50}, () => 200))
    expect(new Set(replies.map((r) => r.backend))).to.deep.equal(new Set([first.backend]))
  })

  it('after that backend is removed, the same client moves to another one and stays there', async () => {
    const first = await get(sb.eip(1), sb.ports.proxy)
    const gone = first.endpoint
    const remove = await sb.run(['backend', 'remove', 'web', gone, '--yes'])
    expect(remove.code, remove.stderr + remove.stdout).to.equal(0)
    // Until the new workers take over, the old ones may still answer from the removed server.
    let cookie = first.setCookie
    for (const n of [1, 2, 3]) {
      await waitFor(
        `a reply from another backend through ${sb.eip(n)}`,
        async () => {
          const reply = await get(sb.eip(n), sb.ports.proxy, cookie)
          if (reply.setCookie) cookie = reply.setCookie
          return (reply.status === 200 && reply.endpoint !== gone) || undefined
        },
        15_000,
      )
    }
    const {replies} = await session(cookie, 50)
    expect(replies.map((r) => r.status)).to.deep.equal(Array.from({length: 50}, () => 200))
    const backends = new Set(replies.map((r) => r.endpoint))
    expect(backends.size, [...backends].join(', ')).to.equal(1)
    expect(backends.has(gone)).to.equal(false)
  })
})
