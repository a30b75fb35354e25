import {expect} from 'chai'
import {execFile, spawn} from 'node:child_process'
import {chmod, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {SshConnector} from '../../../src/remote/ssh.js'
import {BIN, hactl} from '../../harness/cli.js'
import {expectServing, startProxyHost, versions, writeCluster, type ProxyHost} from '../../harness/proxy-hosts.js'
import {startSshd} from '../../harness/sshd.js'
import {waitFor} from '../../harness/wait.js'

const run = promisify(execFile)
const PASSPHRASE = 'correct horse $(battery) staple'

/** A key in OpenSSH's own format (ssh-keygen's default), encrypted with PASSPHRASE. */
let keys = 0
async function encryptedKey(dir: string, type: string): Promise<string> {
  const file = path.join(dir, `id_${type}_${++keys}`)
  await run('ssh-keygen', ['-q', '-t', type, '-N', PASSPHRASE, '-C', `hactl-test-${type}`, '-f', file])
  return file
}

describe('encrypted SSH keys (real sshd)', function () {
  this.timeout(120_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-keys-'))
  })

  for (const type of ['ed25519', 'rsa', 'ecdsa']) {
    it(`logs in with an encrypted ${type} key in OpenSSH format and the right passphrase`, async () => {
      const identityFile = await encryptedKey(dir, type)
      const sshd = await startSshd({identityFile})
      const asked: string[] = []
      const connector = new SshConnector({
        knownHosts: sshd.knownHosts,
        acceptNewHostKeys: false,
        connectTimeoutMs: 10_000,
        commandTimeoutMs: 10_000,
        user: sshd.user,
        identityFile,
        askPassphrase: async (file) => {
          asked.push(file)
          return PASSPHRASE
        },
      })
      const saved = process.env.SSH_AUTH_SOCK
      delete process.env.SSH_AUTH_SOCK
      try {
        const transport = await connector.connect({name: 'h1', address: sshd.host, port: sshd.port})
        const result = await transport.exec(['echo', 'in'])
        expect(result).to.include({code: 0, stdout: 'in\n'})
        expect(asked).to.deep.equal([identityFile])
      } finally {
        if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved
        await connector.close()
        await sshd.stop()
      }
    })
  }

  it('says the passphrase is wrong when it is', async () => {
    const identityFile = await encryptedKey(dir, 'ed25519')
    const sshd = await startSshd({identityFile})
    const connector = new SshConnector({knownHosts: sshd.knownHosts, acceptNewHostKeys: false, connectTimeoutMs: 10_000, commandTimeoutMs: 10_000, user: sshd.user, identityFile, askPassphrase: async () => 'not it'})
    try {
      const error = await connector.connect({name: 'h1', address: sshd.host, port: sshd.port}).then(() => undefined, (e: unknown) => e as Error)
      expect(error?.message).to.match(/wrong passphrase/)
    } finally {
      await connector.close()
      await sshd.stop()
    }
  })

  describe('through the built CLI', () => {
    let host: ProxyHost
    let identityFile: string
    let v1 = ''
    const v = (n: number): string => v1.replace(/be_v1/g, `be_v${n}`)

    before(async () => {
      identityFile = await encryptedKey(dir, 'ed25519')
      host = await startProxyHost('h1', identityFile)
      ;({v1} = await versions(host))
    })

    after(async () => {
      await host?.stop()
    })

    it('off a terminal, with no agent, says the key needs its passphrase and to use ssh-agent; nothing changes', async () => {
      const cluster = await writeCluster([host], v(2))
      const push = await hactl(['config', 'push'], {cwd: cluster, env: {SSH_AUTH_SOCK: ''}})
      expect(push.code).to.equal(7)
      const said = push.stdout + push.stderr
      expect(said).to.include(`${identityFile} is encrypted and needs its passphrase`)
      expect(said).to.include('ssh-agent').and.include(`ssh-add ${identityFile}`)
      expect(said).to.not.include('no SSH key to log in with')
      await expectServing(host, [v1])
    })

    it('on a terminal, asks for the passphrase and pushes', async () => {
      const cluster = await writeCluster([host], v(2))
      // `script` gives hactl a terminal; what we write to script's stdin is typed on it. A person at a terminal, not CI=true (which never prompts).
      const child = spawn('script', ['-qec', `${process.execPath} ${BIN} config push`, '/dev/null'], {cwd: cluster, env: {...process.env, SSH_AUTH_SOCK: '', NO_COLOR: '1', CI: ''}, stdio: ['pipe', 'pipe', 'pipe']})
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      await waitFor(`the passphrase prompt (${out})`, () => out.includes('Passphrase for') || undefined, 60_000)
      child.stdin.write(`${PASSPHRASE}\r`)
      const code = await exit
      expect(code, out).to.equal(0)
      await expectServing(host, [v(2)])
    })

    it('off a terminal, logs in through ssh-agent holding the encrypted key', async () => {
      const agentDir = await mkdtemp(path.join(tmpdir(), 'hactl-agent-'))
      const sock = path.join(agentDir, 'agent.sock')
      const askpass = path.join(agentDir, 'askpass')
      await writeFile(askpass, `#!/bin/sh\nprintf '%s\\n' '${PASSPHRASE}'\n`)
      await chmod(askpass, 0o700)
      const agent = spawn('ssh-agent', ['-D', '-a', sock], {stdio: 'ignore'})
      try {
        await waitFor('ssh-agent to listen', async () => (await run('ssh-add', ['-l'], {env: {...process.env, SSH_AUTH_SOCK: sock}}).then(() => true, (e: {code?: number}) => e.code === 1)) || undefined)
        await run('ssh-add', [identityFile], {env: {...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none'}})
        const cluster = await writeCluster([host], v(3))
        const push = await hactl(['config', 'push'], {cwd: cluster, env: {SSH_AUTH_SOCK: sock}})
        expect(push.code, push.stdout + push.stderr).to.equal(0)
        await expectServing(host, [v(3)])
      } finally {
        agent.kill('SIGTERM')
      }
    })
  })
})
