#!/usr/bin/env node
// Times `hactl --version`, `hactl --help` and `node -e 0` over RUNS runs each,
// interleaved in one run, and prints the medians and the ratios to `node -e 0`.
// Goal: hactl --version ≤ 2.5× node -e 0.
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.RUNS ?? 15)
const bin = path.join(ROOT, 'bin', 'run.js')
const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'hactl --version': [process.execPath, [bin, '--version']],
  'hactl --help': [process.execPath, [bin, '--help']],
  'hactl validate --help': [process.execPath, [bin, 'validate', '--help']],
}
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (const [cmd, args] of Object.values(cases)) spawnSync(cmd, args) // warm the file cache
for (let i = 0; i < RUNS; i++) {
  for (const [name, [cmd, args]] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, {stdio: 'ignore'})
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`)
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const base = median(times['node -e 0'])
console.log(`startup, ${RUNS} runs each, median (min–max):`)
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs)
  console.log(`  ${name.padEnd(24)} ${m.toFixed(0).padStart(5)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})  ${(m / base).toFixed(2)}× node -e 0`)
}
const ratio = median(times['hactl --version']) / base
console.log(`hactl --version / node -e 0 = ${ratio.toFixed(2)} (goal ≤ 2.5): ${ratio <= 2.5 ? 'met' : 'NOT met'}`)
