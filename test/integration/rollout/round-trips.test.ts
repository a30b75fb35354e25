import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {createConnection, createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {stringify} from 'yaml'

import {hactl} from '../../harness/cli.js'
import {startSshd, type Sshd} from '../../harness/sshd.js'

const ANSWER_DELAY_MS = 50

/**
 * A relay on 127.0.0.1 that counts the client's turns: each time the client
 * sends after the server has spoken, the client waited for an answer — one
 * round trip on a real link, whatever the machine's speed. The last turns
 * that get no answer (closing the channel) cost no waiting and are not counted.
 */
async function turnCounter(target: number): Promise<{port: number; turns: () => number; reset: () => void; close: () => void}> {
  let turns = 0
  let answered = 0
  const sockets: Socket[] = []
  const server: Server = createServer((client) => {
    const upstream = createConnection({host: '127.0.0.1', port: target})
    sockets.push(client, upstream)
    let serverSpoke = false
    client.on('data', (chunk) => {
      if (serverSpoke) turns++
      serverSpoke = false
      upstream.write(chunk)
    })
    // The server's answers reach the client late, as on a real link: what the client sends without
    // waiting (a request and the data behind it) gets to the relay first, and is one turn. What the
    // server sends within one delay of its first word is one flight and arrives together: a busy sshd
    // writing its version line and its KEXINIT apart costs a few milliseconds on a real link, not a
    // round trip, and must not count as one.
    let flight: Buffer[] = []
    upstream.on('data', (chunk: Buffer) => {
      flight.push(chunk)
      if (flight.length > 1) return
      setTimeout(() => {
        const words = Buffer.concat(flight)
        flight = []
        serverSpoke = true
        answered = turns
        if (!client.destroyed) client.write(words)
      }, ANSWER_DELAY_MS)
    })
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    // The server's last words are still on their way: let them arrive before the client's side is closed.
    upstream.on('close', () => setTimeout(end, ANSWER_DELAY_MS)).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    turns: () => answered,
    reset: () => {
      turns = 0
      answered = 0
    },
    close: () => {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

describe('the round trips one push makes to a host', function () {
  this.timeout(60_000)
  let sshd: Sshd
  let relay: Awaited<ReturnType<typeof turnCounter>>
  let dir: string

  before(async () => {
    sshd = await startSshd()
    relay = await turnCounter(sshd.port)
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-rtt-'))
    const knownHosts = path.join(dir, 'known_hosts')
    await writeFile(knownHosts, `[127.0.0.1]:${relay.port} ${sshd.hostKey}\n`)
    const remotePath = path.join(sshd.dir, 'haproxy.cfg')
    await writeFile(remotePath, 'global\n')
    await writeFile(path.join(dir, 'haproxy.cfg'), 'global\n    maxconn 100\n')
    // The host's own commands cost nothing, so what is counted is hactl's part: the handshake, the login and the push.
    const host = {name: 'h1', address: '127.0.0.1', port: relay.port, remotePath, validate: 'true', reload: 'true', check: 'true'}
    await writeFile(
      path.join(dir, 'hactl.yaml'),
      stringify({cluster: 'rtt', provider: 'static', proxy: {engine: 'haproxy', config: './haproxy.cfg'}, ssh: {identityFile: sshd.identityFile, knownHosts}, hosts: [host]}),
    )
  })

  after(async () => {
    relay?.close()
    await sshd?.stop()
  })

  it('offers the key signed and sends the command\'s input behind its request: five round trips in all', async () => {
    // A slow sshd on a busy machine can split its own flight (its version line, then its KEXINIT later),
    // which adds a turn that is the server's, not hactl's: a delay only ever adds turns, so the fewest
    // of up to three pushes is hactl's count.
    const counts: number[] = []
    for (let version = 1; version <= 3 && Math.min(...counts) > 5; version++) {
      await writeFile(path.join(dir, 'haproxy.cfg'), `global\n    maxconn ${100 + version}\n`)
      relay.reset()
      const push = await hactl(['config', 'push'], {cwd: dir})
      expect(push.code, push.stderr).to.equal(0)
      expect(push.stdout).to.include('updated')
      counts.push(relay.turns())
    }
    // Key exchange (1: the server sends its KEXINIT unasked), new keys and the userauth service (1),
    // the signed key (1), the session channel (1), and the exec with its input behind it (1).
    // ssh2 alone first asks whether the key is welcome, and waits for the exec to be accepted: seven.
    expect(Math.min(...counts), `round trips after connect (pushes counted ${counts.join(', ')})`).to.be.at.most(5)
  })
})
