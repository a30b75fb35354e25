/**
 * The ssh2 transport: one SSH connection per host, reused for every step;
 * host keys checked against known_hosts before anything is sent; keys from
 * files (passphrase asked only when the caller can ask), ssh-agent, the
 * user's ~/.ssh/config and a jump host. ssh2 is imported here only, lazily.
 */
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import path from 'node:path'
import type {Duplex} from 'node:stream'

import type {AgentAuthMethod, Client, ClientChannel, ConnectConfig, ParsedKey, PublicKeyAuthMethod, SFTPWrapper} from 'ssh2'

import {ExitCode, RemoteError} from '../errors.js'
import {fingerprint, hostKeyName, KnownHostsFile, keyType, verifyHostKey} from './known-hosts.js'
import {quoteArgv} from './quote.js'
import {signFirstOffer} from './sign-first.js'
import {skipHostKeyProofs} from './no-host-key-proofs.js'
import {execEarly, handChannelsOutEarly} from './early-exec.js'
import {parseJump, sshConfigFor} from './ssh-config.js'
import {TransportTimeoutError, type ExecOptions, type FileAttributes, type ExecResult, type HeldCommand, type HeldOutput, stderrTail, type Transport} from './transport.js'

export interface SshSettings {
  knownHosts: string
  acceptNewHostKeys: boolean
  connectTimeoutMs: number
  commandTimeoutMs: number
  /** Fallbacks when neither the host entry nor ~/.ssh/config says. */
  user?: string
  port?: number
  identityFile?: string
  /** `user@host:port` of a jump host every connection goes through. */
  bastion?: string
  /** Asked for an encrypted key's passphrase; absent off a TTY (the key is skipped). */
  askPassphrase?: (file: string) => Promise<string | undefined>
}

export interface SshEndpoint {
  /** Name in messages (the host entry's name). */
  name: string
  address: string
  port?: number
  user?: string
}

const KEEPALIVE_MS = 5000

/**
 * ssh2, loaded on first use and kept: an import() of a module already loaded
 * still goes through the module loader's resolve (and its hooks, when a
 * loader is registered), once per connection otherwise.
 */
let ssh2: Promise<typeof import('ssh2')> | undefined
const loadSsh2 = (): Promise<typeof import('ssh2')> => (ssh2 ??= import('ssh2').then((m) => m.default))
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

/** Opens SSH connections with shared settings; a jump host is connected once and shared by all. */
export class SshConnector {
  private readonly knownHosts: KnownHostsFile
  private readonly keys = new Map<string, Promise<LoadedKey>>()
  private readonly jumps = new Map<string, Promise<Client>>()
  private readonly openClients = new Set<Client>()

  constructor(private readonly settings: SshSettings) {
    this.knownHosts = new KnownHostsFile(settings.knownHosts)
  }

  async connect(endpoint: SshEndpoint): Promise<SshTransport> {
    const client = await this.open(endpoint, this.settings.bastion)
    return new SshTransport(endpoint.name, client, this.settings.commandTimeoutMs)
  }

  async close(): Promise<void> {
    for (const client of this.openClients) client.end()
    this.openClients.clear()
  }

  private async open(endpoint: SshEndpoint, bastion: string | undefined): Promise<Client> {
    const fromConfig = await sshConfigFor(endpoint.address)
    const address = fromConfig.hostName ?? endpoint.address
    const port = endpoint.port ?? fromConfig.port ?? this.settings.port ?? 22
    const user = endpoint.user ?? this.settings.user ?? fromConfig.user ?? userInfo().username
    const jump = bastion ?? fromConfig.proxyJump
    const sock = jump ? await this.tunnel(endpoint.name, jump, address, port) : undefined
    const identityFiles = [this.settings.identityFile, ...fromConfig.identityFiles].filter((f): f is string => Boolean(f))
    const {Client: SshClient} = await loadSsh2()
    const client = new SshClient()
    const {methods: auth, locked} = await this.authMethods(user, identityFiles)
    if (auth.length === 0) {
      if (locked.length > 0) throw needsPassphrase(endpoint.name, locked)
      throw new RemoteError(endpoint.name, 'no SSH key to log in with', {
        exitCode: ExitCode.cloud,
        actions: ['Set ssh.identityFile in the cluster file, start ssh-agent (SSH_AUTH_SOCK), or add IdentityFile to ~/.ssh/config.'],
      })
    }
    let refusal: RemoteError | undefined
    const config: ConnectConfig = {
      host: address,
      port,
      username: user,
      sock,
      readyTimeout: this.settings.connectTimeoutMs,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: 3,
      authHandler: auth,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.checkHostKey(endpoint.name, address, port, key).then(
          () => verify(true),
          (error: RemoteError) => {
            refusal = error
            verify(false)
          },
        )
      },
    }
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve())
      // `on`, not `once`: a connection can fail twice (a reset after a refused key), and the second must not end the process.
      client.on('error', (error: Error & {level?: string; code?: string}) => reject(refusal ?? connectError(endpoint.name, address, port, user, error, locked)))
      client.connect(config)
      signFirstOffer(client)
      skipHostKeyProofs(client)
      handChannelsOutEarly(client)
    })
    this.openClients.add(client)
    client.once('close', () => this.openClients.delete(client))
    return client
  }

  private tunnel(name: string, jump: string, address: string, port: number): Promise<Duplex> {
    let connected = this.jumps.get(jump)
    if (!connected) {
      const parts = parseJump(jump)
      connected = this.open({name: `${name} (via jump host ${parts.host})`, address: parts.host, port: parts.port, user: parts.user}, undefined)
      this.jumps.set(jump, connected)
    }
    return connected.then(
      (client) =>
        new Promise<Duplex>((resolve, reject) => {
          client.forwardOut('127.0.0.1', 0, address, port, (error, stream) => {
            if (error) reject(new RemoteError(name, `jump host ${jump} could not reach ${address}:${port}: ${error.message}`))
            else resolve(stream)
          })
        }),
    )
  }

  private async checkHostKey(name: string, address: string, port: number, key: Buffer): Promise<void> {
    const known = await this.knownHosts.load()
    const verdict = verifyHostKey(known, address, port, key)
    if (verdict.status === 'known') return
    const print = await fingerprint(key)
    const file = this.settings.knownHosts
    if (verdict.status === 'unknown' && this.settings.acceptNewHostKeys) {
      await this.knownHosts.add(address, port, key)
      return
    }
    if (verdict.status === 'unknown') {
      throw new RemoteError(name, `host key of ${hostKeyName(address, port)} is not known (${keyType(key)} ${print}); refusing to connect`, {
        exitCode: ExitCode.cloud,
        data: {hostKey: 'unknown', fingerprint: print},
        actions: [
          `Check the fingerprint with the host's owner, then run again with --accept-new (records this one key in ${file}),`,
          `or add it yourself: ssh-keyscan -p ${port} ${address} >> ${file}`,
        ],
      })
    }
    throw new RemoteError(
      name,
      `HOST KEY OF ${hostKeyName(address, port)} HAS CHANGED (${verdict.status === 'changed' ? `${file}:${verdict.line}` : 'revoked key'}). ` +
        `It now offers ${keyType(key)} ${print}. Someone could be intercepting the connection; refusing to connect.`,
      {
        exitCode: ExitCode.cloud,
        data: {hostKey: verdict.status, fingerprint: print},
        actions: [
          'Find out why the key changed (reinstalled host? address reused?) before trusting it.',
          `If the new key is right, remove the old line: ssh-keygen -R '${hostKeyName(address, port)}' -f ${file}`,
        ],
      },
    )
  }

  /** What to offer the server, and the encrypted keys left out because no passphrase could be asked for. */
  private async authMethods(user: string, files: string[]): Promise<{locked: string[]; methods: (AgentAuthMethod | PublicKeyAuthMethod)[]}> {
    const methods: (AgentAuthMethod | PublicKeyAuthMethod)[] = []
    const locked: string[] = []
    const agent = process.env.SSH_AUTH_SOCK
    if (agent) methods.push({type: 'agent', username: user, agent})
    const candidates = files.length > 0 ? files : DEFAULT_KEYS.map((k) => path.join(homedir(), '.ssh', k)).filter((f) => existsSync(f))
    for (const file of candidates) {
      const key = await this.loadKey(file)
      if (key.status === 'ready') methods.push({type: 'publickey', username: user, key: key.key})
      else if (key.status === 'locked') locked.push(file)
    }
    return {locked, methods}
  }

  /**
   * A private key ready to offer, cached per file. An encrypted key is
   * handed to ssh2 as the key ssh2 itself decrypted (OpenSSH format:
   * ed25519, RSA, ECDSA; or PEM), so the slow passphrase KDF runs once.
   * (Turning the decrypted key into PEM lost ed25519 keys, which have no
   * PEM form ssh2 reads back.)
   */
  private loadKey(file: string): Promise<LoadedKey> {
    let loading = this.keys.get(file)
    if (!loading) {
      loading = (async (): Promise<LoadedKey> => {
        const bytes = await readFile(file).catch(() => undefined)
        if (!bytes) return {status: 'missing'}
        const {utils} = await loadSsh2()
        const parsed = utils.parseKey(bytes)
        if (!(parsed instanceof Error)) return {status: 'ready', key: Array.isArray(parsed) ? parsed[0] : parsed}
        if (!/passphrase|encrypted/i.test(parsed.message)) return {status: 'missing'}
        if (!this.settings.askPassphrase) return {status: 'locked'}
        const passphrase = await this.settings.askPassphrase(file)
        if (passphrase === undefined) return {status: 'locked'}
        const decrypted = utils.parseKey(bytes, passphrase)
        if (decrypted instanceof Error) throw new RemoteError(file, `wrong passphrase (${decrypted.message})`, {exitCode: ExitCode.cloud})
        return {status: 'ready', key: Array.isArray(decrypted) ? decrypted[0] : decrypted}
      })()
      this.keys.set(file, loading)
    }
    return loading
  }
}

type LoadedKey = {key: Buffer | ParsedKey; status: 'ready'} | {status: 'locked' | 'missing'}

function lockedKeys(locked: string[]): {actions: string[]; message: string} {
  return {
    message: `the SSH key ${locked.join(', ')} is encrypted and needs its passphrase, which hactl asks only on a terminal`,
    actions: [
      `Load it into ssh-agent once (eval "$(ssh-agent)"; ssh-add ${locked[0]}) and run again with SSH_AUTH_SOCK set,`,
      'or run the command from a terminal to be asked for the passphrase.',
    ],
  }
}

function needsPassphrase(name: string, locked: string[]): RemoteError {
  const {message, actions} = lockedKeys(locked)
  return new RemoteError(name, message, {exitCode: ExitCode.cloud, actions})
}

function connectError(name: string, address: string, port: number, user: string, error: Error & {level?: string; code?: string}, locked: string[] = []): RemoteError {
  if (error.level === 'client-authentication' && locked.length > 0) {
    const {message, actions} = lockedKeys(locked)
    return new RemoteError(name, `${user}@${address}:${port} refused every key we offered; ${message}`, {exitCode: ExitCode.cloud, cause: error, actions})
  }
  if (error.level === 'client-authentication') {
    return new RemoteError(name, `${user}@${address}:${port} refused every key we offered`, {
      exitCode: ExitCode.cloud,
      cause: error,
      actions: ['Check ssh.user and ssh.identityFile, or that your key is in the host\'s authorized_keys.'],
    })
  }
  const timedOut = /timed out/i.test(error.message)
  return new RemoteError(name, `cannot connect to ${address}:${port}: ${timedOut ? 'timed out' : error.code ?? error.message}`, {
    cause: error,
    actions: [timedOut ? 'Check the address and firewall, or raise ssh.connectTimeout.' : 'Check that sshd runs on the host and the port is right.'],
  })
}

/** One SSH connection; every step of a rollout on this host runs over it. */
export class SshTransport implements Transport {
  private sftpSession?: Promise<SFTPWrapper>
  private readonly closed: Promise<never>

  constructor(
    readonly host: string,
    private readonly client: Client,
    readonly commandTimeoutMs: number,
  ) {
    this.closed = new Promise<never>((_, reject) => {
      client.once('close', () => reject(new RemoteError(host, 'the SSH connection closed')))
    })
    this.closed.catch(() => undefined)
  }

  /** Fail any pending step when the connection drops, instead of waiting forever. */
  private guard<T>(work: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    return Promise.race([new Promise<T>(work), this.closed])
  }

  private channel(argv: readonly string[]): Promise<{channel: ClientChannel; refused: () => Error | undefined}> {
    return this.guard((resolve, reject) => {
      execEarly(this.client, quoteArgv(argv)).then(resolve, reject)
    })
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const {channel, refused} = await this.channel(argv)
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs
    return this.guard((resolve, reject) => {
      let stdout = ''
      let stderr = ''
      let code = 128
      const timer = setTimeout(() => {
        channel.signal('KILL')
        channel.close()
        reject(new TransportTimeoutError(`${argv[0]} timed out after ${timeoutMs} ms`))
      }, timeoutMs)
      channel.on('data', (d: Buffer) => (stdout += d.toString('utf8')))
      channel.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
      channel.on('exit', (exitCode: number | null) => (code = exitCode ?? 128))
      channel.on('close', () => {
        clearTimeout(timer)
        resolve({code, stdout, stderr: stderr || (refused()?.message ?? '')})
      })
      channel.end(options.stdin ?? '')
    })
  }

  hold(argv: readonly string[], on: HeldOutput): HeldCommand {
    const opened = this.channel(argv).then(({channel}) => channel)
    let stderr = ''
    let code: number | undefined
    const ended = (): ExecResult => (code === undefined ? {code: 128, stdout: '', stderr: stderr || 'the SSH connection closed', lost: true} : {code, stdout: '', stderr})
    const exited = opened.then(
      (channel) =>
        new Promise<ExecResult>((resolve) => {
          channel.on('data', on.stdout)
          channel.on('exit', (exitCode: number | null) => (code = exitCode ?? 128))
          channel.stderr.on('data', (d: Buffer) => {
            stderr = stderrTail(stderr, d)
            on.stderr(d)
          })
          channel.on('close', () => resolve(ended()))
          this.closed.catch(() => resolve(ended()))
        }),
      (error: unknown) => ({code: 128, stdout: '', stderr: error instanceof Error ? error.message : String(error), lost: true}),
    )
    return {
      write(data) {
        void opened.then((channel) => channel.write(data)).catch(() => undefined)
      },
      exited,
      end: async () => {
        const channel = await opened.catch(() => undefined)
        channel?.end()
        return exited
      },
    }
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.guard((resolve, reject) => this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))))
    return this.sftpSession
  }

  async upload(file: string, data: Buffer, options: {mode?: number} = {}): Promise<void> {
    const sftp = await this.sftp()
    await this.guard<void>((resolve, reject) =>
      sftp.writeFile(file, data, {mode: options.mode ?? 0o644}, (error) => (error ? reject(sftpError(error, file)) : resolve())),
    )
  }

  async download(file: string): Promise<Buffer | undefined> {
    const sftp = await this.sftp()
    return this.guard((resolve, reject) =>
      sftp.readFile(file, (error: (Error & {code?: number}) | undefined, data: Buffer) => {
        if (error?.code === 2) resolve(undefined)
        else if (error) reject(sftpError(error, file))
        else resolve(data)
      }),
    )
  }

  async stat(file: string): Promise<FileAttributes | undefined> {
    const sftp = await this.sftp()
    return this.guard((resolve, reject) =>
      sftp.stat(file, (error: (Error & {code?: number}) | undefined, stats) => {
        if (error?.code === 2) resolve(undefined)
        else if (error) reject(sftpError(error, file))
        else resolve({mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid})
      }),
    )
  }

  async setAttributes(file: string, attributes: Partial<FileAttributes>): Promise<void> {
    const sftp = await this.sftp()
    await this.guard<void>((resolve, reject) => sftp.setstat(file, attributes, (error) => (error ? reject(sftpError(error, file)) : resolve())))
  }

  async remove(file: string): Promise<void> {
    const sftp = await this.sftp()
    await this.guard<void>((resolve, reject) =>
      sftp.unlink(file, (error?: (Error & {code?: number}) | null) => (error && error.code !== 2 ? reject(sftpError(error, file)) : resolve())),
    )
  }

  openUnixSocket(socketPath: string): Promise<Duplex> {
    return this.guard((resolve, reject) =>
      this.client.openssh_forwardOutStreamLocal(socketPath, (error, stream) => (error ? reject(error) : resolve(stream))),
    )
  }

  async close(): Promise<void> {
    this.client.end()
  }
}

function sftpError(error: Error, file: string): Error {
  return new Error(`${file}: ${error.message}`, {cause: error})
}
