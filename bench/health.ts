// 1,000 HTTP probes against local servers on loopback at concurrency 200.
// Goal: under 1 s wall. Run: npx tsx bench/health.ts
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {probe} from '../src/health/probe.js'
import {mapLimit} from '../src/util/map-limit.js'

const SERVERS = 10
const PROBES = 1000
const CONCURRENCY = 200

const servers = await Promise.all(
  Array.from({length: SERVERS}, async () => {
    const server = createServer((_req, res) => res.end('ok'))
    server.maxConnections = 10_000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve))
    return server
  }),
)
const ports = servers.map((s) => (s.address() as AddressInfo).port)
const targets = Array.from({length: PROBES}, (_, i) => ports[i % SERVERS])

const once = async (concurrency: number): Promise<{ms: number; ok: number}> => {
  const started = performance.now()
  const results = await mapLimit(targets, concurrency, (port) => probe({kind: 'http', address: '127.0.0.1', port, path: '/healthz', timeoutMs: 2000}))
  return {ms: performance.now() - started, ok: results.filter((r) => r.ok).length}
}

await once(CONCURRENCY) // warm-up: JIT and the servers' first accepts
const sequential = await once(1)
const runs = [await once(CONCURRENCY), await once(CONCURRENCY), await once(CONCURRENCY)]
const best = runs.reduce((a, b) => (a.ms < b.ms ? a : b))
const median = [...runs].sort((a, b) => a.ms - b.ms)[1]
const print = (label: string, value: string): void => void process.stdout.write(`${label.padEnd(50)}${value}\n`)
print(`${PROBES} http probes, concurrency 1:`, `${sequential.ms.toFixed(0)} ms (${sequential.ok} ok)`)
print(`${PROBES} http probes, concurrency ${CONCURRENCY} (median of 3):`, `${median.ms.toFixed(0)} ms (${median.ok} ok)`)
print(`  best of 3:`, `${best.ms.toFixed(0)} ms`)
print(`speed-up from concurrency:`, `${(sequential.ms / median.ms).toFixed(1)}x`)
print(`goal < 1000 ms wall:`, median.ms < 1000 ? `met (${(median.ms / 1000).toFixed(2)} of budget)` : 'MISSED')
await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
