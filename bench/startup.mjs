#!/usr/bin/env node
// Start-up of hactl as whole processes, the way cron jobs and CI loops run it.
// Every row runs RUNS times, rows interleaved round by round so machine load
// touches them alike; prints the median wall time, the spread (min–max and
// the middle half), and the ratio to `node -e 0` or to `haproxy -c` on the
// same file.
//
// Goals (issue 19): every command that does not touch the network (backend
// list|add|remove --file … --no-validate, route …, validate without the
// proxy's binary, --help) ≤ 2× `node -e 0`; `backend add --file` on a
// 10k-server config ≤ 1.5× `haproxy -c` on that file (two shapes: one backend
// of 10k, 100 backends of 100); `hactl --version` ≤ 2.5× `node -e 0`. Rows
// that run haproxy -c themselves (validate, backend add without
// --no-validate) are shown against it with no goal.
//
// Run: npm run bench:startup   (RUNS=21 for more runs; HACTL_BIN=other/bin/run.js
// times another checkout's build with the same rows, e.g. before a change)
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.RUNS ?? 11)
const BIN = path.resolve(process.env.HACTL_BIN ?? path.join(ROOT, 'bin', 'run.js'))
const SERVERS = 10_000

const ip = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
/** `servers` servers in backends of `perBackend` (the first is `web`), as in bench/config-edit.ts. */
const haproxyConfig = (servers, perBackend = servers) => {
  const lines = ['global', '    maxconn 1000', 'defaults', '    mode http', '    timeout connect 5s', '    timeout client 30s', '    timeout server 30s']
  lines.push('frontend www', '    bind 127.0.0.1:18080', '    default_backend web')
  for (let b = 0; b * perBackend < servers; b++) {
    lines.push(b === 0 ? 'backend web' : `backend pool${b}`, '    balance roundrobin')
    for (let i = b * perBackend; i < Math.min(servers, (b + 1) * perBackend); i++) lines.push(`    server web${i + 1} ${ip(i + 1)}:8080 check inter 2s`)
  }
  return [...lines, ''].join('\n')
}

const dir = mkdtempSync(path.join(tmpdir(), 'hactl-bench-startup-'))
const at = (name) => path.join(dir, name)
writeFileSync(at('small.cfg.orig'), haproxyConfig(3))
// haproxy -c checks server names within a backend pairwise: one backend of
// 10k servers takes it seconds, 100 backends of 100 a fraction of that.
// Both shapes are rows; the second is the one that makes the goal hard.
writeFileSync(at('one-backend.cfg.orig'), haproxyConfig(SERVERS))
writeFileSync(at('backends.cfg.orig'), haproxyConfig(SERVERS, 100))
const fresh = (name) => () => copyFileSync(at(`${name}.orig`), at(name))
for (const name of ['small.cfg', 'one-backend.cfg', 'backends.cfg']) fresh(name)()
writeFileSync(
  at('hactl.yaml'),
  ['cluster: web', 'provider: local', 'proxy:', '  engine: haproxy', '  config: ./small.cfg', 'addresses:', '  count: 3', ''].join('\n'),
)

const node = process.execPath
const hactl = (...args) => [node, [BIN, ...args]]

/**
 * name, command, the row it is compared to, and what to restore before each
 * run (edits must edit: the file is put back as it was, untimed); env adds to
 * the environment; goal null: the ratio is shown with no goal.
 */
const rows = [
  {name: 'node -e 0', cmd: [node, ['-e', '0']]},
  {name: 'hactl --version', cmd: hactl('--version'), vs: 'node -e 0'},
  {name: 'hactl --help', cmd: hactl('--help'), vs: 'node -e 0'},
  {name: 'hactl status --help', cmd: hactl('status', '--help'), vs: 'node -e 0'},
  {name: 'hactl backend list web --file small.cfg', cmd: hactl('backend', 'list', 'web', '--file', at('small.cfg')), vs: 'node -e 0'},
  {
    name: 'hactl backend add … --file small.cfg --no-validate',
    cmd: hactl('backend', 'add', 'web', '192.0.2.10:8080', '--file', at('small.cfg'), '--no-validate'),
    vs: 'node -e 0',
    before: fresh('small.cfg'),
  },
  {
    name: 'hactl backend remove … --file small.cfg --no-validate',
    cmd: hactl('backend', 'remove', 'web', 'web1', '--file', at('small.cfg'), '--no-validate'),
    vs: 'node -e 0',
    before: fresh('small.cfg'),
  },
  {
    name: 'hactl route add … --file small.cfg --no-validate',
    cmd: hactl('route', 'add', 'web', '--host', 'www.example.com', '--file', at('small.cfg'), '--no-validate'),
    vs: 'node -e 0',
    before: fresh('small.cfg'),
  },
  {name: 'hactl route list --file small.cfg', cmd: hactl('route', 'list', '--file', at('small.cfg')), vs: 'node -e 0'},
  // `validate` without the proxy's binary: the cluster file, the engine's parser and its
  // structural check, all hactl's own work (PATH holds node and no haproxy; it says "skipped").
  {
    name: 'hactl validate, haproxy not on PATH',
    cmd: hactl('validate', '-c', at('hactl.yaml')),
    env: {PATH: path.dirname(node)},
    vs: 'node -e 0',
    before: fresh('small.cfg'),
  },
  // With the binary, validate runs haproxy -c on the file itself: shown against that run, no goal.
  {name: 'haproxy -c, small.cfg', cmd: ['haproxy', ['-c', '-q', '-f', at('small.cfg')]], before: fresh('small.cfg')},
  {name: 'hactl validate (runs haproxy -c)', cmd: hactl('validate', '-c', at('hactl.yaml')), vs: 'haproxy -c, small.cfg', goal: null, before: fresh('small.cfg')},
  ...[
    ['one-backend.cfg', `${SERVERS / 1000}k servers, 1 backend`],
    ['backends.cfg', `${SERVERS / 1000}k servers, 100 backends`],
  ].flatMap(([file, shape]) => [
    {name: `haproxy -c, ${shape}`, cmd: ['haproxy', ['-c', '-q', '-f', at(file)]], before: fresh(file)},
    {
      name: `hactl backend add … --file, ${shape}, --no-validate`,
      cmd: hactl('backend', 'add', 'web', '192.0.2.10:8080', '--file', at(file), '--no-validate'),
      vs: `haproxy -c, ${shape}`,
      before: fresh(file),
    },
  ]),
  // NODE_EXTRA_CA_CERTS makes every node process read and parse that CA bundle as it starts (Node 20
  // does it before any JavaScript runs, whether or not the process ever speaks TLS); haproxy -c does
  // not. When it is set, two more rows show what it costs, with no goal: node -e 0 and the add above without it.
  ...(process.env.NODE_EXTRA_CA_CERTS
    ? [
        {name: 'node -e 0, NODE_EXTRA_CA_CERTS unset', cmd: [node, ['-e', '0']], unset: ['NODE_EXTRA_CA_CERTS']},
        {
          name: `hactl backend add … --file, ${SERVERS / 1000}k servers, 100 backends, --no-validate, NODE_EXTRA_CA_CERTS unset`,
          cmd: hactl('backend', 'add', 'web', '192.0.2.10:8080', '--file', at('backends.cfg'), '--no-validate'),
          vs: `haproxy -c, ${SERVERS / 1000}k servers, 100 backends`,
          goal: null,
          note: 'shown: the CA bundle node reads at start',
          unset: ['NODE_EXTRA_CA_CERTS'],
          before: fresh('backends.cfg'),
        },
      ]
    : []),
  {
    name: `hactl backend add … --file, ${SERVERS / 1000}k servers, 100 backends (runs haproxy -c)`,
    cmd: hactl('backend', 'add', 'web', '192.0.2.10:8080', '--file', at('backends.cfg')),
    vs: `haproxy -c, ${SERVERS / 1000}k servers, 100 backends`,
    // It runs haproxy -c on the result itself, so it cannot come below 1×: shown, no goal.
    goal: null,
    before: fresh('backends.cfg'),
  },
]

/**
 * CPU time (user + system) of the children this process has waited for, in
 * ms, from /proc (Linux): a second view that machine load disturbs far less
 * than wall time. Clock ticks are 10 ms, so it is shown as a mean over the runs.
 */
const childCpu = () => {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return undefined
  }
}

const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0
const active = rows.filter((r) => haveHaproxy || !r.name.includes('haproxy -c'))
const times = new Map(active.map((r) => [r.name, []]))
const cpu = new Map(active.map((r) => [r.name, 0]))
const run = (row) => {
  row.before?.()
  const [cmd, args] = row.cmd
  const c0 = childCpu()
  const t0 = process.hrtime.bigint()
  const env = {...process.env, NO_COLOR: '1', ...row.env}
  for (const name of row.unset ?? []) delete env[name]
  const r = spawnSync(cmd, args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${row.name} exited ${r.status}: ${r.stderr}`)
  return {ms, cpu: c0 === undefined ? undefined : childCpu() - c0}
}

try {
  console.log(`hactl start-up: ${BIN}`)
  console.log(`${RUNS} runs per row, interleaved; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  for (const row of active) run(row) // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    for (const row of active) {
      const r = run(row)
      times.get(row.name).push(r.ms)
      cpu.set(row.name, r.cpu === undefined ? undefined : cpu.get(row.name) + r.cpu)
    }
  }

  const sorted = (xs) => [...xs].sort((a, b) => a - b)
  const quantile = (xs, q) => sorted(xs)[Math.round((xs.length - 1) * q)]
  const median = (xs) => quantile(xs, 0.5)
  const fmt = (x) => x.toFixed(0).padStart(5)
  const width = Math.max(...active.map((r) => r.name.length))
  const cpuMean = (name) => (cpu.get(name) === undefined ? undefined : cpu.get(name) / RUNS)
  console.log(`${'command'.padEnd(width)}  median  min–max      middle half   ratio (wall)              cpu mean, ratio`)
  const verdicts = []
  for (const row of active) {
    const xs = times.get(row.name)
    const m = median(xs)
    let ratio = ''
    let cpuText = cpuMean(row.name) === undefined ? '' : `${fmt(cpuMean(row.name))} ms`
    if (row.vs && times.has(row.vs)) {
      const r = m / median(times.get(row.vs))
      ratio = `${r.toFixed(2)}× ${row.vs}`
      if (cpuText) cpuText += ` ${(cpuMean(row.name) / cpuMean(row.vs)).toFixed(2)}×`
      const goal = row.goal !== undefined ? row.goal : row.name === 'hactl --version' ? 2.5 : row.vs === 'node -e 0' ? 2 : 1.5
      verdicts.push(`${row.name}: ${r.toFixed(2)} ${goal === null ? `(no goal: ${row.note ?? `it runs ${row.vs.split(',')[0]} itself`})` : `(goal ≤ ${goal}) ${r <= goal ? 'met' : 'NOT met'}`}`)
    }
    const spread = `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs)).trim().padEnd(5)}  ${fmt(quantile(xs, 0.25))}–${fmt(quantile(xs, 0.75)).trim().padEnd(5)}`
    console.log(`${row.name.padEnd(width)}  ${fmt(m)} ms ${spread}  ${ratio.padEnd(24)}  ${cpuText}`)
  }
  console.log(verdicts.join('\n'))
  if (!haveHaproxy) console.log('haproxy is not installed: the haproxy -c rows were left out')
} finally {
  rmSync(dir, {recursive: true, force: true})
}
