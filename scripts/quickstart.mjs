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
step('hactl sandbox up --dir sandbox')
const up = spawnSync(process.execPath, [bin, 'sandbox', 'up', '--dir', 'sandbox'], {stdio: 'inherit', cwd: ROOT})
if (up.status !== 0) {
  process.stdout.write('\nThe sandbox did not start: the message above says why and what to do.\n')
  process.exit(up.status ?? 1)
}
// Checked against the cluster that now exists (there is no ./hactl.yaml in a fresh clone, and none is needed).
step('hactl doctor -c sandbox/hactl.yaml')
const doctor = spawnSync(process.execPath, [bin, 'doctor', '-c', 'sandbox/hactl.yaml'], {stdio: 'inherit', cwd: ROOT})
// The sandbox's firewall: its demo backends answer only the proxies; the audit proves it.
step('hactl firewall audit -c sandbox/hactl.yaml')
const audit = spawnSync(process.execPath, [bin, 'firewall', 'audit', '-c', 'sandbox/hactl.yaml'], {stdio: 'inherit', cwd: ROOT})
process.stdout.write(`
The sandbox is up: 3 haproxy instances, 4 demo backends, 3 Elastic IPs and a DNS server.
${doctor.status === 0 ? '' : 'hactl doctor found something missing (above); the sandbox runs, but fix it before you rely on it.\n'}${audit.status === 0 ? '' : 'hactl firewall audit found a hole (above): the backends are reachable from more than the proxies.\n'}Put hactl on your PATH (\`npm link\`, or \`alias hactl=${bin}\`) and try the commands listed under "Try:"
above, from ${ROOT}. docs/sandbox.md walks through them; \`npm test\` runs every test.
`)
