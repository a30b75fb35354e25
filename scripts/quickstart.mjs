#!/usr/bin/env node
// `npm run quickstart`: from a fresh clone to a working hactl.
import {spawnSync} from 'node:child_process'
import path from 'node:path'

import {ensureDebianPackages, ensureNodeModules, ROOT, sh, step} from './ensure.mjs'

ensureNodeModules()
ensureDebianPackages(['haproxy', 'dig'])
step('build')
sh('npm', ['run', 'build', '--silent'])
const bin = path.join(ROOT, 'bin', 'run.js')
step('hactl --help')
sh(process.execPath, [bin, '--help'])
step('hactl doctor')
// doctor exits 5 when something is missing; the quickstart reports it and goes on.
spawnSync(process.execPath, [bin, 'doctor'], {stdio: 'inherit', cwd: ROOT})
process.stdout.write(`
Next:
  ./bin/run.js init --yes --provider local --engine haproxy   # writes hactl.yaml and haproxy.cfg
  ./bin/run.js validate
  npm test
`)
