#!/usr/bin/env node
// `npm test`: install what is missing, then lint, typecheck, build and run
// every test (unit and integration) under coverage. The last line is always
// `N passed, N failed`.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ensureDebianPackages, ensureNodeModules, ROOT, sh, step} from './ensure.mjs'

const only = process.argv.slice(2)
ensureNodeModules()
// curl and script: docs/sandbox.md's commands are run as a reader types them, on a terminal.
ensureDebianPackages(['haproxy', 'nginx', 'sshd', 'ssh-keygen', 'dig', 'named', 'nsupdate', 'curl', 'script', 'perlbal', 'ip'])

step('lint')
sh('npx', ['eslint', '.'])
step('typecheck')
sh('npx', ['tsc', '-p', 'tsconfig.json'])
step('build')
sh('npm', ['run', 'build', '--silent'])

step('tests')
const stats = path.join(mkdtempSync(path.join(tmpdir(), 'hactl-test-')), 'stats.json')
// Integration first: mocha hands files to its workers in this order, and the
// long ones (moto, the sandbox) started early leave the short unit files to
// fill the end of the run.
const specs = only.length > 0 ? only : ['test/integration/**/*.test.ts', 'test/unit/**/*.test.ts']
// Two files at a time, each in its own worker process: most tests spend their
// time waiting on other processes (a CLI run, moto, a proxy failing over), so
// one file at a time leaves a core of the two idle.
const run = spawnSync(
  'npx',
  ['c8', '--reporter=text-summary', '--reporter=html', '--src=src', '--exclude=test/**', '--exclude=dist/**', 'mocha', '--parallel', '--jobs', '2', ...specs],
  {stdio: 'inherit', cwd: ROOT, env: {...process.env, HACTL_TEST_STATS: stats, FORCE_COLOR: '0'}},
)
let result = {passes: 0, failures: 1, pending: 0}
try {
  result = JSON.parse(readFileSync(stats, 'utf8'))
} catch {
  process.stdout.write('\nthe test run ended before mocha reported its results\n')
}
const failed = result.failures || (run.status === 0 ? 0 : 1)
process.stdout.write(`\n${result.passes} passed, ${failed} failed${result.pending ? `, ${result.pending} skipped` : ''}\n`)
process.exit(failed > 0 || run.status !== 0 ? 1 : 0)
