import {createServer as createHttpServer, type Server as HttpServer} from 'node:http'
import {createServer, type Server, type Socket} from 'node:net'
import path from 'node:path'
import {Writable} from 'node:stream'

import {expect} from 'chai'

import type {ProbeSpec} from '../../../src/cluster/schema.js'
import type {Health} from '../../../src/health/judge.js'
import {answeredFailures, probeJudge} from '../../../src/health/judges.js'
import {jsonEventLog} from '../../../src/monitor/events.js'
import {runMonitor} from '../../../src/monitor/loop.js'
import {netOctet} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'
import {FakeProvider} from '../../harness/fake-provider.js'
import {providerRunner, SETTINGS, tempDir} from '../../harness/monitor-world.js'

const INTERVAL = 1600

const listen = (server: Server | HttpServer, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve((server.address() as {port: number}).port))
  })

/** A proxy that answers its health check. */
const healthy = (): HttpServer => createHttpServer((_req, res) => res.end('ok'))

/** A proxy that takes connections and never answers: its probes time out. */
function silent(): {server: Server; close: () => void} {
  const sockets = new Set<Socket>()
  const server = createServer((s) => sockets.add(s))
  return {server, close: () => (server.close(), sockets.forEach((s) => s.destroy()))}
}

const closeHttp = (server: HttpServer): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

describe('the monitor confirms a proxy that refuses its probe sooner than one that times out', function () {
  this.timeout(60_000)
  const net = `127.${netOctet(48)}.1`
  let servers: HttpServer[] = []
  let port = 0

  beforeEach(async () => {
    servers = [healthy(), healthy(), healthy()]
    port = await listen(servers[1], `${net}.2`, 0)
    await listen(servers[0], `${net}.1`, port)
    await listen(servers[2], `${net}.3`, port)
  })

  afterEach(async () => {
    await Promise.all(servers.map((s) => (s.listening ? closeHttp(s) : undefined)))
  })

  /** Runs a monitor until proxy i-1 has failed and lost its address; the judge's calls with i-1's probe result. */
  async function killFirst(kill: () => Promise<void>): Promise<{at: number; health: Health}[]> {
    const provider = FakeProvider.pool(3)
    for (const [i, proxy] of provider.proxies.entries()) proxy.privateAddress = `${net}.${i + 1}`
    const spec = {type: 'http', port, path: '/healthz', interval: INTERVAL, timeout: 400, rise: 2, fall: 2, expectStatus: '200-399', insecure: false} as ProbeSpec
    const judge = probeJudge(spec, 10)
    const calls: {at: number; health: Health}[] = []
    const recording = async (proxies: Parameters<typeof judge>[0]): Promise<Record<string, Health>> => {
      const health = await judge(proxies)
      calls.push({at: Date.now(), health: health['i-1']})
      return health
    }
    const controller = new AbortController()
    const log = jsonEventLog(new Writable({write: (_c, _e, done) => done()}))
    const stateFile = path.join(await tempDir('hactl-monitor-confirm-'), 'state.json')
    const running = runMonitor({once: false, intervalMs: INTERVAL, stateFile, signal: controller.signal}, {...SETTINGS, dns: undefined}, {
      provider,
      judge: recording,
      run: providerRunner(provider),
      log,
      answered: () => answeredFailures(judge),
    })
    try {
      await waitFor('two healthy probes of i-1', () => calls.filter((c) => c.health === 'healthy').length >= 2 || undefined, 20_000)
      await kill()
      await waitFor('i-1 to lose its address', () => provider.holder('eipalloc-1') !== 'i-1' || undefined, 20_000)
    } finally {
      controller.abort()
      await running
    }
    return calls
  }

  /** Time from i-1's first failed probe to the next probe, the one that reached fall. */
  const confirmGap = (calls: {at: number; health: Health}[]): number => {
    const first = calls.findIndex((c) => c.health === 'unhealthy')
    expect(calls[first + 1]?.health, 'the next probe fails too').to.equal('unhealthy')
    return calls[first + 1].at - calls[first].at
  }

  it('a refused probe is followed by the next one after a quarter of the interval', async () => {
    const calls = await killFirst(() => closeHttp(servers[0]))
    expect(confirmGap(calls)).to.be.below(INTERVAL * 0.6)
  })

  it('a timed-out probe waits the whole interval: a busy monitor must not confirm itself', async () => {
    const hang = silent()
    try {
      const calls = await killFirst(async () => {
        await closeHttp(servers[0])
        await listen(hang.server, `${net}.1`, port)
      })
      expect(confirmGap(calls)).to.be.above(INTERVAL * 0.8)
    } finally {
      hang.close()
    }
  })
})
