#!/usr/bin/env -S npx tsx
// Times adding one server to configs of 1k, 10k and 50k servers, in one run:
// parse + add + serialize in-process (median of RUNS), and the proxy's own
// checker on the same file (median of CHECKS). Prints times, per-server cost
// and ratios. Goals: 10k add ≤ 50 ms, and ≤ 0.1× `haproxy -c` or ≤ 0.5×
// `nginx -t`; per-server cost roughly flat from 1k to 50k (linear, not
// quadratic).
// Then `tls add` (parse + TLS listener + serialize) on the same configs at TLS_SIZES
// (default 10000), checked by the proxy with the certificate in place; same goals.
// Run: npx tsx bench/config-edit.ts   (SIZES=1000,10000 RUNS=9 CHECKS=3 ENGINE=nginx TLS_SIZES=10000 to change)
// Engines are rows of ENGINES: another engine adds its generator and spec there.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import path from 'node:path'

import type {AddServerSpec, ConfigDocument, Engine} from '../src/proxy-config/engine.js'
import {haproxyEngine} from '../src/proxy-config/haproxy/engine.js'
import {nginxEngine} from '../src/proxy-config/nginx/engine.js'
import {checkPair} from '../src/proxy-config/certificate.js'
import {TLS_DIR, type TlsSpec} from '../src/proxy-config/tls.js'
import {makeLocalCertificates} from '../src/sandbox/certificates.js'
import {unifiedDiff} from '../src/diff.js'

interface BenchEngine {
  /** What the row is called, when an engine has more than one shape of file. */
  label?: string
  engine: Engine<ConfigDocument>
  file: string
  generate: (servers: number) => string
  /** The server to add to a config of that many servers. */
  add: (servers: number) => AddServerSpec
  /** The proxy's own checker: binary and arguments for a config path. */
  check: [string, (file: string) => string[]]
}

function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}

/** Servers in upstreams of `perUpstream` (a large site spreads them over pools); the add goes to the last one. */
function nginxRow(perUpstream: number): BenchEngine {
  return {
    label: Number.isFinite(perUpstream) ? `nginx, upstreams of ${perUpstream}` : 'nginx, one upstream',
    engine: nginxEngine as unknown as Engine<ConfigDocument>,
    file: 'nginx.conf',
    generate: (n) => {
      const size = Math.min(n, perUpstream)
      const lines = ['worker_processes 1;', 'events {', '    worker_connections 64;', '}', 'http {']
      for (let u = 0; u * size < n; u++) {
        lines.push(`    upstream pool${u} {`, '        least_conn;')
        for (let i = u * size; i < Math.min(n, (u + 1) * size); i++) lines.push(`        server ${ip(i + 1)}:8080 max_fails=3 fail_timeout=10s;`)
        lines.push('        keepalive 16;', '    }')
      }
      lines.push('    server {', '        listen 127.0.0.1:18084;', '        location / {', '            proxy_pass http://pool0;', '        }', '    }', '}', '')
      return lines.join('\n')
    },
    add: (n) => ({backend: `pool${Number.isFinite(perUpstream) ? Math.ceil(n / perUpstream) - 1 : 0}`, address: '192.0.2.10', port: 8080}),
    // nginx -t writes a pid file and logs: both go to the bench's temp folder.
    check: ['nginx', (f) => ['-t', '-q', '-p', `${path.dirname(f)}/`, '-c', f, '-g', `pid ${path.dirname(f)}/nginx.pid; error_log ${path.dirname(f)}/error.log;`]],
  }
}

const ENGINES: BenchEngine[] = [
  {
    engine: haproxyEngine as unknown as Engine<ConfigDocument>,
    file: 'haproxy.cfg',
    generate: (n) =>
      [
        'global',
        '    maxconn 1000',
        'defaults',
        '    mode http',
        '    timeout connect 5s',
        '    timeout client 30s',
        '    timeout server 30s',
        'frontend www',
        '    bind 127.0.0.1:18080',
        '    default_backend web',
        'backend web',
        '    balance roundrobin',
        ...Array.from({length: n}, (_, i) => `    server web${i + 1} ${ip(i + 1)}:8080 check inter 2s`),
        '',
      ].join('\n'),
    add: () => ({backend: 'web', address: '192.0.2.10', port: 8080}),
    check: ['haproxy', (f) => ['-c', '-f', f]],
  },
  nginxRow(1000),
  // The same servers in one upstream: the whole upstream is read to find duplicates and shared options.
  nginxRow(Number.POSITIVE_INFINITY),
]

/** ENGINE=nginx runs one engine's rows only. */
const selected = ENGINES.filter((b) => !process.env.ENGINE || b.engine.name === process.env.ENGINE)

const SIZES = (process.env.SIZES ?? '1000,10000,50000').split(',').map(Number)
const RUNS = Number(process.env.RUNS ?? 9)
const CHECKS = Number(process.env.CHECKS ?? 3)
const WARMUP = 10
/** haproxy -c grows faster than linearly past 10k servers (minutes at 50k): one check there. */
const checksFor = (n: number): number => (n > 10_000 ? 1 : CHECKS)

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6
const fmt = (x: number, digits = 1): string => x.toFixed(digits)

const TLS_SIZES = (process.env.TLS_SIZES ?? '10000').split(',').filter(Boolean).map(Number)
const TLS_SPEC: TlsSpec = {name: 'www', hosts: ['www.example.com'], port: 443, redirectHttp: false, minVersion: 'TLSv1.2'}

const dir = mkdtempSync(path.join(tmpdir(), 'hactl-bench-'))

/** The certificate the TLS rows add, beside the bench's config file, as `tls add` stores it. */
async function placeCertificate(): Promise<void> {
  const made = await makeLocalCertificates(path.join(dir, 'ca'), 'www', ['www.example.com'], 30)
  const checked = checkPair({cert: {file: made.cert, text: readFileSync(made.cert, 'utf8')}, key: {file: made.key, text: readFileSync(made.key, 'utf8')}, hosts: []})
  mkdirSync(path.join(dir, TLS_DIR), {mode: 0o700})
  writeFileSync(path.join(dir, TLS_DIR, 'www.pem'), checked.pem, {mode: 0o600})
}

function tlsRows(b: BenchEngine): void {
  const tls = b.engine.tls
  if (!tls || TLS_SIZES.length === 0) return
  console.log(`${b.label ?? b.engine.name}: tls add (parse + TLS listener + serialize), ${RUNS} runs; ${b.check[0]} check with the certificate, ${CHECKS} runs; medians`)
  console.log(['servers', 'bytes', 'edit ms', 'edit min', 'diff ms', `${b.check[0]} ms`, 'edit/check'].join('\t'))
  for (const n of TLS_SIZES) {
    const text = b.generate(n)
    const file = path.join(dir, b.file)
    let edited = ''
    const edit = (): number => {
      const t0 = process.hrtime.bigint()
      const doc = b.engine.parse(text, file)
      if (!tls.addTls(doc, TLS_SPEC).changed) throw new Error('tls add changed nothing')
      edited = doc.serialize()
      return ms(t0)
    }
    for (let i = 0; i < WARMUP; i++) edit()
    const edits = Array.from({length: RUNS}, edit)
    const editMs = median(edits)
    const t0 = process.hrtime.bigint()
    unifiedDiff(b.file, text, edited)
    const diffMs = ms(t0)
    writeFileSync(file, edited, 'latin1')
    const checkMs = median(
      Array.from({length: checksFor(n)}, () => {
        const t = process.hrtime.bigint()
        // From the config's folder: haproxy finds hactl-tls/ through the default-path the edit wrote, nginx through -c's folder.
        execFileSync(b.check[0], b.check[1](file), {stdio: 'ignore', cwd: dir})
        return ms(t)
      }),
    )
    console.log([n, text.length, fmt(editMs), fmt(Math.min(...edits)), fmt(diffMs), fmt(checkMs), fmt(editMs / checkMs, 3)].join('\t'))
  }
}

try {
  if (selected.some((b) => b.engine.tls) && TLS_SIZES.length > 0) await placeCertificate()
  for (const b of selected) {
    console.log(`${b.label ?? b.engine.name}: add one server (parse + add + serialize), ${RUNS} runs; ${b.check[0]} check, ${CHECKS} runs (1 past 10k); medians`)
    console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on this machine`)
    console.log(['servers', 'bytes', 'edit ms', 'edit min', 'µs/server', 'diff ms', `${b.check[0]} ms`, 'edit/check'].join('\t'))
    const perServer: number[] = []
    for (const n of SIZES) {
      const text = b.generate(n)
      const file = path.join(dir, b.file)
      writeFileSync(file, text, 'latin1')
      let edited = ''
      const edit = (): number => {
        const t0 = process.hrtime.bigint()
        const doc = b.engine.parse(text, file)
        if (!b.engine.addServer(doc, b.add(n)).changed) throw new Error('the add changed nothing')
        edited = doc.serialize()
        return ms(t0)
      }
      for (let i = 0; i < WARMUP; i++) edit() // warm up the JIT, so the first size is not timed cold
      const edits = Array.from({length: RUNS}, edit)
      const editMs = median(edits)
      if (edited.length <= text.length) throw new Error('nothing was added')
      const t0 = process.hrtime.bigint()
      unifiedDiff(b.file, text, edited)
      const diffMs = ms(t0)
      const checkMs = median(
        Array.from({length: checksFor(n)}, () => {
          const t = process.hrtime.bigint()
          execFileSync(b.check[0], b.check[1](file), {stdio: 'ignore'})
          return ms(t)
        }),
      )
      perServer.push((editMs * 1000) / n)
      console.log([n, text.length, fmt(editMs), fmt(Math.min(...edits)), fmt((editMs * 1000) / n, 2), fmt(diffMs), fmt(checkMs), fmt(editMs / checkMs, 3)].join('\t'))
    }
    console.log(`per-server cost, largest / smallest size: ${fmt(perServer.at(-1)! / perServer[0], 2)}× (1 = linear)`)
    tlsRows(b)
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
