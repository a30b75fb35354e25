// Installs what hactl's tests and sandbox need on a fresh machine: npm
// packages (npm ci when node_modules is absent or from another lockfile)
// and Debian packages (apt-get when root; otherwise the exact command).
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export function step(title) {
  process.stdout.write(`\n== ${title}\n`)
}

export function sh(command, args, options = {}) {
  const result = spawnSync(command, args, {stdio: 'inherit', cwd: ROOT, ...options})
  if (result.status !== 0) {
    process.stdout.write(`\n${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})\n`)
    process.exit(result.status || 1)
  }
}

/**
 * npm ci when node_modules is absent or was installed from another lockfile.
 * The lockfile's hash is kept in node_modules after a good install: file
 * times are no guide (a fresh clone or a merge touches the lockfile).
 */
export function ensureNodeModules() {
  const lock = readFileSync(path.join(ROOT, 'package-lock.json'))
  const hash = createHash('sha256').update(lock).digest('hex')
  const stamp = path.join(ROOT, 'node_modules', '.hactl-lockfile-sha256')
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return
  step('npm ci')
  sh('npm', ['ci', '--no-audit', '--no-fund'])
  writeFileSync(stamp, hash)
}

/** binary → Debian package that provides it. */
const PACKAGES = {
  haproxy: {bin: 'haproxy', pkg: 'haproxy'},
  nginx: {bin: 'nginx', pkg: 'nginx'},
  sshd: {bin: 'sshd', pkg: 'openssh-server', path: '/usr/sbin/sshd'},
  'ssh-keygen': {bin: 'ssh-keygen', pkg: 'openssh-client'},
  dig: {bin: 'dig', pkg: 'dnsutils'},
  named: {bin: 'named', pkg: 'bind9', path: '/usr/sbin/named'},
  nsupdate: {bin: 'nsupdate', pkg: 'bind9-dnsutils'},
  curl: {bin: 'curl', pkg: 'curl'},
  script: {bin: 'script', pkg: 'bsdutils'},
  perlbal: {bin: 'perlbal', pkg: 'perlbal'},
  ip: {bin: 'ip', pkg: 'iproute2'},
}

function have(bin, fixed) {
  if (fixed && existsSync(fixed)) return true
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], {stdio: 'ignore', env: {...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`}})
    return true
  } catch {
    return false
  }
}

export function ensureDebianPackages(names) {
  const missing = names.map((n) => PACKAGES[n]).filter((p) => !have(p.bin, p.path))
  if (missing.length === 0) return
  const pkgs = [...new Set(missing.map((p) => p.pkg))]
  const command = `apt-get install -y ${pkgs.join(' ')}`
  if (process.getuid?.() !== 0) {
    process.stdout.write(`\nMissing: ${missing.map((p) => p.bin).join(', ')}. Install them first:\n  sudo apt-get update && sudo ${command}\n`)
    process.exit(1)
  }
  step(command)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  sh('apt-get', ['update', '-qq'], {env})
  sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {env})
  // Debian starts the services it installs; hactl's tests start their own on free ports.
  for (const service of ['haproxy', 'nginx', 'ssh', 'named']) {
    spawnSync('sh', ['-c', `command -v systemctl >/dev/null && systemctl disable --now ${service} 2>/dev/null; service ${service} stop 2>/dev/null`], {stdio: 'ignore'})
  }
}
