import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir, userInfo} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {freePort} from './ports.js'
import {startProcess} from './process.js'
import {portOpen, waitFor} from './wait.js'

const run = promisify(execFile)

export interface Sshd {
  host: string
  port: number
  user: string
  /** The client's private key file, authorized on this server. */
  identityFile: string
  /** A known_hosts file that trusts exactly this server's host key. */
  knownHosts: string
  /** The host key's public line (`ssh-ed25519 AAAA…`). */
  hostKey: string
  dir: string
  /** What sshd wrote to stderr so far (its log, at `logLevel`). */
  output: () => string
  stop: () => Promise<void>
}

export interface SshdOptions {
  /** Reuse a client key (several servers, one user). */
  identityFile?: string
  /** Reuse a host key (to test changed-key refusals, pass a different one). */
  hostKeyFile?: string
  /** Listen here instead of 127.0.0.1 (e.g. an address inside a network namespace the caller created). */
  address?: string
  /** Run sshd inside this network namespace (`ip netns exec NAME`). */
  netns?: string
  /**
   * Root only: the login shells this sshd starts read no rc files (they are
   * hidden by /dev/null in a mount namespace of sshd's own), so a host costs
   * what a host with a plain shell would, whatever this machine's rc files do.
   */
  plainShell?: boolean
  /** sshd's LogLevel (default ERROR); DEBUG1 logs each request a client makes. */
  logLevel?: 'DEBUG1' | 'ERROR'
  /** The only key exchanges sshd offers (`KexAlgorithms`); OpenSSH's default list when absent. */
  kexAlgorithms?: string[]
  /** `false`: sshd serves each connection from a fork of itself instead of re-executing its binary for each (`sshd -r`). */
  reexec?: boolean
  /** Root only: the login shell sshd starts for the user (the user's passwd entry, changed in a mount namespace of sshd's own, as `plainShell`). */
  loginShell?: string
  /** Wait for the port from inside this network namespace (when `address` is not reachable from the test's own). */
  probeFromNetns?: string
}

export const SSHD_BINARY = '/usr/sbin/sshd'

/** A real OpenSSH sshd on 127.0.0.1 with keys generated in a temp folder; runs as the current user. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-sshd-'))
  await mkdir('/run/sshd', {recursive: true}).catch(() => undefined)
  const hostKeyFile = options.hostKeyFile ?? path.join(dir, 'host_ed25519')
  if (!options.hostKeyFile) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyFile])
  const identityFile = options.identityFile ?? path.join(dir, 'id_ed25519')
  if (!options.identityFile) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identityFile])
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${identityFile}.pub`))
  const address = options.address ?? '127.0.0.1'
  const port = await freePort()
  const config = [
    `Port ${port}`,
    `ListenAddress ${address}`,
    `HostKey ${hostKeyFile}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin yes',
    'Subsystem sftp internal-sftp',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'AllowStreamLocalForwarding yes',
    `LogLevel ${options.logLevel ?? 'ERROR'}`,
    ...(options.kexAlgorithms ? [`KexAlgorithms ${options.kexAlgorithms.join(',')}`] : []),
  ].join('\n')
  await writeFile(path.join(dir, 'sshd_config'), `${config}\n`)
  const sshdArgv = [SSHD_BINARY, '-D', '-e', ...(options.reexec === false ? ['-r'] : []), '-f', path.join(dir, 'sshd_config')]
  // Root only: a mount namespace of sshd's own, where the user's rc files are /dev/null and /etc/passwd may name another login shell.
  const hide = [
    ...(options.loginShell ? ['awk -F: -v OFS=: -v u="$(id -un)" -v s="$1" \'$1 == u { $7 = s } { print }\' /etc/passwd > "$2" && mount --bind "$2" /etc/passwd || exit 1'] : []),
    'for f in "$HOME/.bashrc" "$HOME/.profile" "$HOME/.bash_profile"; do if [ -e "$f" ]; then mount --bind /dev/null "$f" || exit 1; fi; done',
    'shift 2; exec "$@"',
  ].join('\n')
  const isolated = options.plainShell || options.loginShell
  const argv = isolated ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', hide, 'sh', options.loginShell ?? '', path.join(dir, 'passwd'), ...sshdArgv] : sshdArgv
  const proc = options.netns ? startProcess('ip', ['netns', 'exec', options.netns, ...argv]) : startProcess(argv[0], argv.slice(1))
  const probe = options.probeFromNetns
  const open = probe
    ? async (): Promise<boolean> => {
        const script = `require('net').connect(${port},'${address}').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`
        return run('ip', ['netns', 'exec', probe, process.execPath, '-e', script]).then(
          () => true,
          () => false,
        )
      }
    : () => portOpen(port, address)
  await waitFor(`sshd on port ${port}: ${proc.output()}`, open, 15_000)
  const hostKey = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ')
  const knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, `[${address}]:${port} ${hostKey}\n`)
  return {host: address, port, user: userInfo().username, identityFile, knownHosts, hostKey, dir, output: proc.output, stop: proc.stop}
}
