#!/usr/bin/env -S npx tsx
// Times adding one server to nginx configs of 1k, 10k and 50k servers (in
// upstreams of 1,000), in one run: parse + add + serialize in-process (median
// of RUNS), and `nginx -t` on the same file (median of CHECKS). Prints times,
// per-server cost and ratios, in the shape of bench/config-edit. Goals: 10k
// add ≤ 50 ms and ≤ 0.5× `nginx -t`; per-server cost roughly flat (linear).
// Run: npx tsx bench/config-edit-nginx.ts   (SIZES=1000,10000 RUNS=9 CHECKS=3 to change)
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {nginxEngine} from '../src/proxy-config/nginx/engine.js'
import {unifiedDiff} from '../src/ui/diff.js'

const PER_UPSTREAM = 1000

function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}

function generate(n: number, dir: string): string {
  const lines = ['worker_processes 1;', `pid ${path.join(dir, 'nginx.pid')};`, 'events {', '    worker_connections 64;', '}', 'http {']
  for (let u = 0; u * PER_UPSTREAM < n; u++) {
    lines.push(`    upstream pool${u} {`, '        least_conn;')
    for (let i = u * PER_UPSTREAM; i < Math.min(n, (u + 1) * PER_UPSTREAM); i++) lines.push(`        server ${ip(i + 1)}:8080 max_fails=3 fail_timeout=10s;`)
    lines.push('        keepalive 16;', '    }')
  }
  lines.push('    server {', '        listen 127.0.0.1:18084;', '        location / {', '            proxy_pass http://pool0;', '        }', '    }', '}', '')
  return lines.join('\n')
}

const SIZES = (process.env.SIZES ?? '1000,10000,50000').split(',').map(Number)
const RUNS = Number(process.env.RUNS ?? 9)
const CHECKS = Number(process.env.CHECKS ?? 3)

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6
const fmt = (x: number, digits = 1): string => x.toFixed(digits)

const dir = mkdtempSync(path.join(tmpdir(), 'hactl-bench-nginx-'))
try {
  console.log(`nginx: add one server (parse + add + serialize), ${RUNS} runs; nginx -t check, ${CHECKS} runs; medians`)
  console.log(['servers', 'bytes', 'edit ms', 'µs/server', 'diff ms', 'nginx ms', 'edit/check'].join('\t'))
  const perServer: number[] = []
  for (const n of SIZES) {
    const text = generate(n, dir)
    const file = path.join(dir, 'nginx.conf')
    writeFileSync(file, text, 'latin1')
    const backend = `pool${Math.ceil(n / PER_UPSTREAM) - 1}`
    let edited = ''
    const edit = (): number => {
      const t0 = process.hrtime.bigint()
      const doc = nginxEngine.parse(text, file)
      if (!nginxEngine.addServer(doc, {backend, address: '192.0.2.10', port: 8080}).changed) throw new Error('the add changed nothing')
      edited = doc.serialize()
      return ms(t0)
    }
    for (let i = 0; i < 3; i++) edit() // warm up the JIT
    const editMs = median(Array.from({length: RUNS}, edit))
    if (edited.length <= text.length) throw new Error('nothing was added')
    const t0 = process.hrtime.bigint()
    unifiedDiff('nginx.conf', text, edited)
    const diffMs = ms(t0)
    const checkMs = median(
      Array.from({length: CHECKS}, () => {
        const t = process.hrtime.bigint()
        execFileSync('nginx', ['-t', '-q', '-p', `${dir}/`, '-c', file, '-g', `error_log ${path.join(dir, 'error.log')};`], {stdio: 'ignore'})
        return ms(t)
      }),
    )
    perServer.push((editMs * 1000) / n)
    console.log([n, text.length, fmt(editMs), fmt((editMs * 1000) / n, 2), fmt(diffMs), fmt(checkMs), fmt(editMs / checkMs, 3)].join('\t'))
  }
  console.log(`per-server cost, largest / smallest size: ${fmt((perServer.at(-1) ?? 0) / perServer[0], 2)}× (1 = linear)`)
} finally {
  rmSync(dir, {recursive: true, force: true})
}
