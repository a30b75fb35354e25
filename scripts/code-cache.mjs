#!/usr/bin/env node
// Last step of `npm run build`: write the V8 code cache of dist/vendor/*.cjs
// and of the commands' own bundles, dist/own/**/*.cjs (see
// src/vendor-loader.ts), by running typical commands, each with
// HACTL_WRITE_CODE_CACHE=1: a run reads the cache the one before wrote and
// writes it back with the functions it compiled itself, so the cache ends up
// holding what start-up, flag parsing, help and a command's run use.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dir = mkdtempSync(path.join(tmpdir(), 'hactl-code-cache-'))
try {
  const cfg = path.join(dir, 'haproxy.cfg')
  writeFileSync(cfg, ['global', '    maxconn 100', 'defaults', '    mode http', 'frontend www', '    bind 127.0.0.1:18080', '    default_backend web', 'backend web', '    balance roundrobin', '    server web1 10.0.0.1:8080 check', ''].join('\n'))
  writeFileSync(path.join(dir, 'hactl.yaml'), ['cluster: web', 'provider: local', 'proxy:', '  engine: haproxy', '  config: ./haproxy.cfg', 'addresses:', '  count: 3', ''].join('\n'))
  const runs = [
    ['backend', 'list', 'web', '--file', cfg],
    ['backend', 'add', 'web', '192.0.2.10:8080', '--file', cfg, '--no-validate'],
    ['backend', 'remove', 'web', 'web1', '--file', cfg, '--no-validate'],
    ['route', 'add', 'web', '--host', 'www.example.com', '--file', cfg, '--no-validate'],
    ['route', 'list', '--file', cfg, '--json'],
    ['status', '--help'],
    ['validate', '-c', path.join(dir, 'hactl.yaml')],
  ]
  for (const args of runs) {
    // The cache is taken as is whatever the command's outcome (validate without haproxy here exits 0 too).
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: dir, env: {...process.env, HACTL_WRITE_CODE_CACHE: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
    if (r.error) throw r.error
    if (r.status !== 0) process.stderr.write(`code cache: hactl ${args.join(' ')} exited ${r.status}: ${r.stderr}\n`)
  }
  // Every other command's bundle: loaded once (its module code run, no command), so its cache holds at least that.
  const own = path.join(ROOT, 'dist', 'own')
  const rest = readdirSync(own, {recursive: true})
    .filter((f) => f.endsWith('.cjs') && !existsSync(path.join(own, `${f}.cache`)))
    .map((f) => path.join(own, f))
  const load = `import {pathToFileURL} from 'node:url'
const {loadOwn} = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'vendor-loader.js')).href)})
for (const file of ${JSON.stringify(rest)}) loadOwn(pathToFileURL(file), new URL(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'vendor')).href + '/')}))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', load], {cwd: dir, env: {...process.env, HACTL_WRITE_CODE_CACHE: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`code cache of the commands' bundles: exited ${r.status}: ${r.stderr}`)
} finally {
  rmSync(dir, {recursive: true, force: true})
}
