#!/usr/bin/env -S npx tsx
// Times `backend sync` of 1k and 10k servers, in one run, against one
// `haproxy -c` of the file the sync wrote. Two cases per size: a first sync
// (an empty backend gets every discovered instance) and a churn (half the
// servers are gone, as many new instances appear).
//
// What is timed is what a user waits for after discovery: the sync service as
// `hactl backend sync --no-push` runs it (read and parse the source, plan,
// one batch edit, the diff it prints, one validation with the real
// `haproxy -c` under the file lock, one safe write). Discovery is left out:
// the provider is handed the instance list a describe would return (one
// paginated DescribeInstances, timed against moto by bench:failover-aws), so
// the figure is hactl's own cost, not moto's. Nothing is pushed.
// Goal: a 10k-server sync ≤ 2× one `haproxy -c` of the result.
// Run: npx tsx bench/sync.ts   (SIZES=1000,10000 RUNS=3 CHECKS=3 to change)
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import path from 'node:path'

import {loadCluster} from '../src/cluster/loader.js'
import type {Cloud} from '../src/cloud/capabilities.js'
import type {BackendInstance} from '../src/cloud/provider.js'
import {syncBackends} from '../src/services/backend-sync.js'
import {silentReporter} from '../src/events.js'

const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number)
const RUNS = Number(process.env.RUNS ?? 3)
const CHECKS = Number(process.env.CHECKS ?? 3)

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6
const fmt = (x: number, digits = 0): string => x.toFixed(digits)

function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}

function instance(i: number): BackendInstance {
  return {id: `i-${i.toString(16).padStart(17, '0')}`, state: 'running', privateAddress: ip(i), port: 8080, tags: {'hactl:cluster': 'bench', 'hactl:backend': 'app'}}
}

/** A config whose backend app lists the servers of these instances, as a previous sync wrote them. */
function config(servers: BackendInstance[]): string {
  return [
    'global',
    '    maxconn 1000',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    'frontend www',
    '    bind 127.0.0.1:18080',
    '    default_backend app',
    'backend app',
    '    balance roundrobin',
    ...servers.map((s) => `    server ${s.id} ${s.privateAddress}:8080 check inter 2s`),
    '',
  ].join('\n')
}

const dir = mkdtempSync(path.join(tmpdir(), 'hactl-bench-sync-'))
try {
  const clusterFile = path.join(dir, 'hactl.yaml')
  const source = path.join(dir, 'haproxy.cfg')
  writeFileSync(clusterFile, 'cluster: bench\nprovider: aws\nregion: us-east-1\nproxy: {engine: haproxy, config: ./haproxy.cfg}\nbackends: {app: {port: 8080}}\n')
  const cluster = await loadCluster(clusterFile)
  let discovered: BackendInstance[] = []
  const cloud: Cloud = {kind: 'aws', hosts: {listProxies: async () => []}, backends: {listBackendInstances: async () => discovered}}

  const cases = [
    {name: 'first sync', before: () => [] as BackendInstance[], after: (n: number) => Array.from({length: n}, (_, i) => instance(i + 1))},
    {
      name: 'churn (½ out, ½ in)',
      before: (n: number) => Array.from({length: n}, (_, i) => instance(i + 1)),
      after: (n: number) => Array.from({length: n}, (_, i) => instance(i + 1 + Math.floor(n / 2))),
    },
  ]

  console.log(`backend sync --no-push in-process (plan + one edit + diff + one haproxy -c + one write), ${RUNS} runs; haproxy -c of the result, ${CHECKS} runs; medians`)
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on this machine`)
  console.log(['servers', 'case', 'added', 'removed', 'sync ms', 'sync min', 'haproxy -c ms', 'sync/check'].join('\t'))
  // Warm the JIT on a small sync, so the first size is not timed cold.
  discovered = cases[0].after(200)
  writeFileSync(source, config([]))
  await syncBackends({cluster, cloud, reporter: silentReporter, push: false})

  for (const n of SIZES) {
    for (const c of cases) {
      const start = config(c.before(n))
      discovered = c.after(n)
      let added = 0
      let removed = 0
      const runs: number[] = []
      for (let r = 0; r < RUNS; r++) {
        writeFileSync(source, start)
        const t0 = process.hrtime.bigint()
        const report = await syncBackends({cluster, cloud, reporter: silentReporter, push: false})
        runs.push(ms(t0))
        added = report.plans[0].add.length
        removed = report.plans[0].remove.length
        if (!report.changed) throw new Error('the sync changed nothing')
      }
      const result = readFileSync(source, 'latin1')
      const servers = result.split('\n').filter((l) => l.startsWith('    server ')).length
      if (servers !== n) throw new Error(`the synced file has ${servers} servers, not ${n}`)
      const check = median(
        Array.from({length: CHECKS}, () => {
          const t = process.hrtime.bigint()
          execFileSync('haproxy', ['-c', '-f', source], {stdio: 'ignore'})
          return ms(t)
        }),
      )
      const sync = median(runs)
      console.log([n, c.name, added, removed, fmt(sync), fmt(Math.min(...runs)), fmt(check), `${(sync / check).toFixed(2)}×`].join('\t'))
    }
  }
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  console.log('goal: 10k sync ≤ 2× one haproxy -c of the result')
} finally {
  rmSync(dir, {recursive: true, force: true})
}
