import {expect} from 'chai'
import {connect, createServer, type Server, type Socket} from 'node:net'

import {silentReporter} from '../../../src/events.js'
import {LocalBalancer, type TargetCheck} from '../../../src/sandbox/balancer.js'
import {freePort} from '../../harness/ports.js'
import {netOctet} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

/** A target that greets each connection with its name and echoes what it is sent. */
async function target(host: string, port: number, name: string): Promise<Server> {
  const server = createServer((s) => {
    s.write(`${name}\n`)
    s.pipe(s)
    s.on('error', () => s.destroy())
  })
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  return server
}

/** Who answered a new connection through the balancer, and the connection (left open). */
async function through(host: string, port: number): Promise<{name: string; socket: Socket}> {
  return new Promise((resolve, reject) => {
    const socket = connect({host, port})
    socket.once('data', (d: Buffer) => resolve({name: d.toString().trim(), socket}))
    socket.once('error', reject)
  })
}

async function names(host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const {name, socket} = await through(host, port)
    socket.destroy()
    out.push(name)
  }
  return out
}

/**
 * The sandbox's L4 balancer on its own: its checks decide where new
 * connections go, a deregistered target drains (its open connections live
 * until the delay ends, new ones go elsewhere), and with no healthy target it
 * fails open.
 */
describe('sandbox balancer', function () {
  this.timeout(30_000)
  const net = `127.${netOctet(62)}.4`
  const check: TargetCheck = {kind: 'tcp', port: 0, path: '/', expectStatus: '200-399', timeoutMs: 80, intervalMs: 100, healthyThreshold: 2, unhealthyThreshold: 2}
  let port: number
  let servers: Server[] = []
  let balancer: LocalBalancer
  const state = (id: string): string | undefined => balancer.view().find((t) => t.instanceId === id)?.state

  beforeEach(async () => {
    port = await freePort()
    servers = [await target(`${net}.1`, port, 'a'), await target(`${net}.2`, port, 'b')]
    balancer = new LocalBalancer(`${net}.100`, [port], {...check, port}, 400, silentReporter)
    await balancer.start()
    balancer.setTargets([
      {instanceId: 'i-a', name: 'a', address: `${net}.1`},
      {instanceId: 'i-b', name: 'b', address: `${net}.2`},
    ])
  })

  afterEach(async () => {
    await balancer.stop()
    for (const s of servers) s.close()
  })

  it('fails open before any check passed, then spreads over healthy targets and leaves out one whose checks fail', async () => {
    expect(state('i-a')).to.equal('initial')
    expect(new Set(await names(`${net}.100`, port, 4))).to.deep.equal(new Set(['a', 'b']))
    await waitFor('both healthy', () => (state('i-a') === 'healthy' && state('i-b') === 'healthy') || undefined)
    servers[0].close()
    await waitFor('a unhealthy', () => state('i-a') === 'unhealthy' || undefined)
    expect(balancer.view().find((t) => t.instanceId === 'i-a')?.reason).to.equal('Target.FailedHealthChecks')
    expect(await names(`${net}.100`, port, 6)).to.deep.equal(['b', 'b', 'b', 'b', 'b', 'b'])
  })

  it('drains a deregistered target: its open connection lives until the delay ends, new connections go elsewhere', async () => {
    await waitFor('both healthy', () => (state('i-a') === 'healthy' && state('i-b') === 'healthy') || undefined)
    let open = await through(`${net}.100`, port)
    while (open.name !== 'a') {
      open.socket.destroy()
      open = await through(`${net}.100`, port)
    }
    const closed = new Promise<number>((resolve) => open.socket.once('close', () => resolve(Date.now())))
    const deregistered = Date.now()
    balancer.setTargets([
      {instanceId: 'i-a', name: 'a', address: `${net}.1`, deregisteredAt: deregistered},
      {instanceId: 'i-b', name: 'b', address: `${net}.2`},
    ])
    expect(state('i-a')).to.equal('draining')
    expect(await names(`${net}.100`, port, 4)).to.deep.equal(['b', 'b', 'b', 'b'])
    const echoed = new Promise<string>((resolve) => open.socket.once('data', (d: Buffer) => resolve(d.toString())))
    open.socket.write('still here\n')
    expect(await echoed).to.equal('still here\n')
    expect(await closed - deregistered).to.be.within(350, 5000)
    expect(state('i-a')).to.equal(undefined)
  })
})
