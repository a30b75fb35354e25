#!/usr/bin/env node
// `npm run quickstart`: from a fresh clone to a running sandbox cluster.
import {spawnSync} from 'node:child_process'
import path from 'node:path'

import {ensureDebianPackages, ensureNodeModules, ROOT, sh, step} from './ensure.mjs'

if (process.platform !== 'linux') {
  process.stdout.write(`The sandbox runs on Linux only (it uses the whole 127.0.0.0/8 loopback range); this is ${process.platform}.\n`)
  process.exit(1)
}
ensureNodeModules()
ensureDebianPackages(['haproxy', 'dig'])
step('build')
sh('npm', ['run', 'build', '--silent'])
const bin = path.join(ROOT, 'bin', 'run.js')
step('hactl doctor')
// doctor exits 5 when something optional is missing; the quickstart reports it and goes on.
spawnSync(process.execPath, [bin, 'doctor'], {stdio: 'inherit', cwd: ROOT})
step('hactl sandbox up --dir sandbox')
const up = spawnSync(process.execPath, [bin, 'sandbox', 'up', '--dir', 'sandbox'], {stdio: 'inherit', cwd: ROOT})
if (up.status !== 0) {
  process.stdout.write('\nThe sandbox did not start: the message above says why and what to do.\n')
  process.exit(up.status ?? 1)
}
process.stdout.write(`
The sandbox is up: 3 haproxy instances, 4 demo backends, 3 Elastic IPs and a DNS server.
Put hactl on your PATH (\`npm link\`, or \`alias hactl=${bin}\`), then from ${ROOT}:

  dig @127.0.0.1 -p 5353 www.sandbox.test +short   # the round-robin set: the 3 Elastic IPs
  curl -s http://127.0.2.1/                         # through an Elastic IP to a backend; again for the next
  hactl status -c sandbox/hactl.yaml                # the whole cluster on one screen
  hactl monitor -c sandbox/hactl.yaml               # in a second terminal: watch, and move addresses off dead proxies
  hactl sandbox kill proxy-1 -c sandbox/hactl.yaml  # kill -9 a proxy; the monitor moves 127.0.2.1 to a healthy one
  hactl sandbox revive proxy-1 -c sandbox/hactl.yaml
  hactl sandbox down -c sandbox/hactl.yaml          # stop everything; sandbox/hactl.yaml and haproxy.cfg stay
  npm test                                          # every test, unit and end-to-end
`)
