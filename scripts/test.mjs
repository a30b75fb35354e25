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
const specs = only.length > 0 ? only : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts']
const run = spawnSync(
  'npx',
  ['c8', '--reporter=text-summary', '--reporter=html', '--src=src', '--exclude=test/**', '--exclude=dist/**', 'mocha', ...specs],
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
