import {execFile} from 'node:child_process'
import {createSocket, type Socket} from 'node:dgram'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {inspect, promisify} from 'node:util'

import {expect} from 'chai'

import {DnsConflictError, type RecordSet} from '../../../src/cloud/dns-zone.js'
import {openRfc2136Zone, Rfc2136Zone, TsigKey} from '../../../src/cloud/rfc2136/index.js'
import {rfc2136DnsSchema} from '../../../src/cluster/dns-rfc2136.js'
import {HactlError} from '../../../src/errors.js'
import {startNamed, type Named, type NamedKey} from '../../harness/named.js'
import {freePort} from '../../harness/ports.js'

const set = (name: string, values: string[], ttl = 30): RecordSet => ({name, type: 'A', ttl, values})

async function failure(promise: Promise<unknown>): Promise<HactlError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof HactlError) return error
    throw error
  }
  throw new Error('expected a HactlError, but the call succeeded')
}

describe('RFC 2136 DNS zone against a real named', function () {
  this.timeout(60_000)
  let named: Named
  let key: (name: string) => NamedKey
  const zoneWith = (k: {name: string; algorithm: NamedKey['algorithm']; secret: string}, options: {port?: number; timeoutMs?: number; tries?: number} = {}): Rfc2136Zone =>
    new Rfc2136Zone({
      server: '127.0.0.1',
      port: options.port ?? named.port,
      zone: named.zone,
      key: new TsigKey(k.name, k.algorithm, Buffer.from(k.secret, 'base64')),
      timeoutMs: options.timeoutMs ?? 2000,
      tries: options.tries ?? 3,
    })

  before(async () => {
    named = await startNamed({
      keys: [
        {name: 'hactl-test', algorithm: 'hmac-sha256', mayUpdate: true},
        {name: 'hactl-512', algorithm: 'hmac-sha512', mayUpdate: true},
        {name: 'hactl-sha1', algorithm: 'hmac-sha1', mayUpdate: true},
        {name: 'viewer', algorithm: 'hmac-sha256', mayUpdate: false},
      ],
    })
    key = (name) => named.keys.find((k) => k.name === name) as NamedKey
  })

  after(async () => {
    await named?.stop()
  })

  it('publishes a new A set, then replaces it whole, as a real query shows', async () => {
    const zone = zoneWith(key('hactl-test'))
    const name = 'www.example.test.'
    expect(await zone.getRecordSet(name)).to.equal(undefined)

    await zone.upsertRecordSet(set(name, ['192.0.2.2', '192.0.2.1']), {expected: null})
    expect(await named.lookup(name)).to.deep.equal({values: ['192.0.2.1', '192.0.2.2'], ttl: 30})
    const read = await zone.getRecordSet(name)
    expect(read).to.deep.equal(set(name, ['192.0.2.1', '192.0.2.2']))

    await zone.upsertRecordSet(set(name, ['192.0.2.3'], 60), {expected: read})
    expect(await named.lookup(name)).to.deep.equal({values: ['192.0.2.3'], ttl: 60})
    // Without a guard it replaces whatever is there.
    await zone.upsertRecordSet(set(name, ['192.0.2.4', '192.0.2.5'], 60))
    expect(await named.lookup(name)).to.deep.equal({values: ['192.0.2.4', '192.0.2.5'], ttl: 60})
  })

  it('topology nlb: a CNAME to the balancer replaces the A set in one update, reads back as a CNAME, and is guarded like an A set', async () => {
    const zone = zoneWith(key('hactl-test'))
    const name = 'lb.example.test.'
    const cname = (target: string, ttl = 30): RecordSet => ({name, type: 'CNAME', ttl, values: [target]})
    await zone.upsertRecordSet(set(name, ['192.0.2.7']), {expected: null})
    const before = await zone.getRecordSet(name)
    await zone.upsertRecordSet(cname('hactl-web-1.us-east-1.elb.amazonaws.com'), {expected: before})
    const dig = await promisify(execFile)('dig', ['+norecurse', '+noall', '+answer', '+tries=1', '+time=2', '-p', String(named.port), '@127.0.0.1', name, 'ANY'])
    expect(dig.stdout).to.match(/\sIN\s+CNAME\s+hactl-web-1\.us-east-1\.elb\.amazonaws\.com\.\n?/)
    expect(dig.stdout).to.not.match(/\sIN\s+A\s/)
    const read = await zone.getRecordSet(name)
    expect(read).to.deep.equal(cname('hactl-web-1.us-east-1.elb.amazonaws.com'))
    // Guarded by what was read: the same CNAME passes, a stale read is refused.
    await zone.upsertRecordSet(cname('hactl-web-2.us-east-1.elb.amazonaws.com'), {expected: read})
    const stale = await failure(zone.upsertRecordSet(cname('hactl-web-3.us-east-1.elb.amazonaws.com'), {expected: read}))
    expect(stale).to.be.instanceOf(DnsConflictError)
    expect((await zone.getRecordSet(name))?.values).to.deep.equal(['hactl-web-2.us-east-1.elb.amazonaws.com'])
    expect(zone.explainUpsert(cname('x.example.net'), {expected: null})).to.include(`update add ${name} 30 IN CNAME x.example.net.`)
  })

  it('signs with hmac-sha512 and hmac-sha1 too, and checks the server\'s signed answers', async () => {
    for (const [keyName, host] of [['hactl-512', 'sha512'], ['hactl-sha1', 'sha1']] as const) {
      const zone = zoneWith(key(keyName))
      const name = `${host}.example.test.`
      await zone.upsertRecordSet(set(name, ['198.51.100.1']), {expected: null})
      expect((await named.lookup(name)).values).to.deep.equal(['198.51.100.1'])
      expect(await zone.getRecordSet(name)).to.deep.equal(set(name, ['198.51.100.1']))
    }
  })

  it('a change made by someone else between read and write is detected; theirs stays', async () => {
    const zone = zoneWith(key('hactl-test'))
    const name = 'race.example.test.'
    await zone.upsertRecordSet(set(name, ['192.0.2.10']), {expected: null})
    const read = await zone.getRecordSet(name)
    await named.nsupdate(key('hactl-sha1'), [`update add ${name} 30 A 192.0.2.11`])

    const error = await failure(zone.upsertRecordSet(set(name, ['192.0.2.20']), {expected: read}))
    expect(error).to.be.instanceOf(DnsConflictError)
    expect(error.exitCode).to.equal(6)
    expect(error.message).to.contain('192.0.2.10 192.0.2.11')
    expect((await named.lookup(name)).values).to.deep.equal(['192.0.2.10', '192.0.2.11'])

    // "there was no record" is a guard too.
    const created = await failure(zone.upsertRecordSet(set(name, ['192.0.2.20']), {expected: null}))
    expect(created.exitCode).to.equal(6)
    expect((await named.lookup(name)).values).to.deep.equal(['192.0.2.10', '192.0.2.11'])
  })

  it('--dry-run text: the nsupdate commands of the very update, guard included, without the secret', async () => {
    const zone = zoneWith(key('hactl-test'))
    const name = 'explain.example.test.'
    const first = zone.explainUpsert(set(name, ['192.0.2.31', '192.0.2.30']), {expected: null})
    expect(first).to.deep.equal([
      '; signed with TSIG key hactl-test (hmac-sha256)',
      `server 127.0.0.1 ${named.port}`,
      'zone example.test.',
      `prereq nxrrset ${name} IN A`,
      `update delete ${name} IN A`,
      `update add ${name} 30 IN A 192.0.2.31`,
      `update add ${name} 30 IN A 192.0.2.30`,
      'send',
    ])
    expect(first.join('\n')).not.to.contain(key('hactl-test').secret)
    // Run as written by BIND's own client, it does what upsertRecordSet does, guard included.
    await named.nsupdate(key('hactl-test'), first)
    expect((await named.lookup(name)).values).to.deep.equal(['192.0.2.30', '192.0.2.31'])
    const stale = zone.explainUpsert(set(name, ['192.0.2.32']), {expected: set(name, ['192.0.2.30'])})
    expect(stale).to.include(`prereq yxrrset ${name} IN A 192.0.2.30`)
    let refused: unknown
    await named.nsupdate(key('hactl-test'), stale).catch((error: unknown) => (refused = error))
    expect(String(refused)).to.contain('NXRRSET')
    expect((await named.lookup(name)).values).to.deep.equal(['192.0.2.30', '192.0.2.31'])
  })

  it('a wrong secret or an unknown key: exit 7 naming the key, never the secret; nothing changed', async () => {
    const name = 'www.example.test.'
    const before = await named.lookup(name)
    const wrong = {name: 'hactl-test', algorithm: 'hmac-sha256' as const, secret: Buffer.alloc(32, 7).toString('base64')}
    const zone = zoneWith(wrong)
    for (const attempt of [zone.getRecordSet(name), zone.upsertRecordSet(set(name, ['203.0.113.9']))]) {
      const error = await failure(attempt)
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.match(/rejected the signature of TSIG key hactl-test/)
      for (const text of [error.message, JSON.stringify(error.data), error.actions.join(' '), inspect(error)]) expect(text).not.to.contain(wrong.secret)
    }
    expect(inspect(zone)).not.to.contain(wrong.secret)

    const unknown = await failure(zoneWith({...wrong, name: 'nobody'}).upsertRecordSet(set(name, ['203.0.113.9'])))
    expect(unknown.exitCode).to.equal(7)
    expect(unknown.message).to.contain('does not know TSIG key nobody (hmac-sha256)')
    expect(await named.lookup(name)).to.deep.equal(before)
  })

  it('an update the zone\'s policy does not grant the key: exit 7 saying so, nothing changed', async () => {
    const name = 'www.example.test.'
    const before = await named.lookup(name)
    const error = await failure(zoneWith(key('viewer')).upsertRecordSet(set(name, ['203.0.113.7'])))
    expect(error.exitCode).to.equal(7)
    expect(error.message).to.contain('refused the update of www.example.test. in zone example.test. signed with TSIG key viewer')
    expect(error.actions.join(' ')).to.contain('update-policy')
    expect(await named.lookup(name)).to.deep.equal(before)

    const outside = await failure(zoneWith(key('hactl-test')).upsertRecordSet(set('www.elsewhere.test.', ['203.0.113.7'])))
    expect(outside.exitCode).to.equal(2)
  })

  it('a large set goes over TCP (request past 512 bytes, truncated UDP answer) and reads back whole', async () => {
    const zone = zoneWith(key('hactl-test'))
    const name = 'many.example.test.'
    const values = Array.from({length: 60}, (_, i) => `10.0.${Math.floor(i / 10)}.${i + 1}`).sort()
    await zone.upsertRecordSet(set(name, values), {expected: null})
    expect((await named.lookup(name)).values).to.deep.equal(values)
    expect((await zone.getRecordSet(name))?.values).to.deep.equal(values)
  })

  it('a port where nothing listens: exit 7 at once, naming the server', async () => {
    const port = await freePort()
    const started = Date.now()
    const error = await failure(zoneWith(key('hactl-test'), {port}).upsertRecordSet(set('www.example.test.', ['203.0.113.1'])))
    expect(error.exitCode).to.equal(7)
    expect(error.message).to.contain(`no answer from the DNS server 127.0.0.1:${port}`)
    expect(Date.now() - started).to.be.below(2000)
  })

  describe('faults of the network or of a server that is not named', () => {
    let silent: Socket
    let silentPort: number
    let liar: Socket
    let liarPort: number
    const bind = async (onMessage: (socket: Socket, message: Buffer, port: number, address: string) => void): Promise<[Socket, number]> => {
      const socket = createSocket('udp4')
      socket.on('message', (m, peer) => onMessage(socket, m, peer.port, peer.address))
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
      return [socket, socket.address().port]
    }

    before(async () => {
      ;[silent, silentPort] = await bind(() => undefined)
      // Answers NOERROR with no TSIG: what a spoofer or a rewriting middlebox would send.
      ;[liar, liarPort] = await bind((socket, m, port, address) => {
        const answer = Buffer.alloc(12)
        m.copy(answer, 0, 0, 2)
        answer.writeUInt16BE(0x8000 | (m.readUInt16BE(2) & 0x7800), 2)
        socket.send(answer, port, address)
      })
    })

    after(() => {
      silent?.close()
      liar?.close()
    })

    it('no answer: exit 7 after tries × timeout, not later', async () => {
      const started = Date.now()
      const error = await failure(zoneWith(key('hactl-test'), {port: silentPort, timeoutMs: 300, tries: 2}).getRecordSet('www.example.test.'))
      const took = Date.now() - started
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.contain('no answer over UDP after 2 tries of 300 ms')
      expect(took).to.be.within(550, 3000)
      // An update that went out unanswered may have been applied: the message says so and what to check.
      const update = await failure(zoneWith(key('hactl-test'), {port: silentPort, timeoutMs: 300, tries: 2}).upsertRecordSet(set('www.example.test.', ['203.0.113.1'])))
      expect(update.message).to.contain('(the update may have been applied)')
      expect(update.actions.join(' ')).to.contain('hactl dns show')
    })

    it('an answer lost on the way: the resend meets its own applied update, which is success, not a conflict', async () => {
      // A relay to named that drops the first answer it carries back, as a lossy network would.
      let dropped = 0
      const upstream = createSocket('udp4')
      let client: {port: number; address: string} | undefined
      const [relay, relayPort] = await bind((_socket, m, port, address) => {
        client = {port, address}
        upstream.send(m, named.port, '127.0.0.1')
      })
      upstream.on('message', (m) => {
        if (dropped++ === 0 || !client) return
        relay.send(m, client.port, client.address)
      })
      try {
        const zone = zoneWith(key('hactl-test'), {port: relayPort, timeoutMs: 500, tries: 3})
        const name = 'lossy.example.test.'
        await zone.upsertRecordSet(set(name, ['192.0.2.77']), {expected: null})
        expect(dropped).to.be.at.least(2)
        expect((await named.lookup(name)).values).to.deep.equal(['192.0.2.77'])
      } finally {
        relay.close()
        upstream.close()
      }
    })

    it('an unsigned answer is not believed', async () => {
      const error = await failure(zoneWith(key('hactl-test'), {port: liarPort}).upsertRecordSet(set('www.example.test.', ['203.0.113.1'])))
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.contain('(NOERROR) to the update of www.example.test. is not signed with TSIG key hactl-test (unsigned)')
    })
  })

  describe('opened from the cluster file\'s dns: section', () => {
    let dir: string
    const spec = (tsig: Record<string, unknown>) =>
      rfc2136DnsSchema.parse({provider: 'rfc2136', server: '127.0.0.1', port: named.port, zone: 'example.test.', name: 'cfg.example.test.', tsig: {keyName: 'hactl-test', ...tsig}})

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'hactl-rfc2136-'))
    })

    after(async () => {
      await rm(dir, {recursive: true, force: true})
    })

    it('reads the secret from a tsig-keygen key file or from an environment variable', async () => {
      const k = key('hactl-test')
      await writeFile(path.join(dir, 'hactl.key'), `key "hactl-test" {\n\talgorithm hmac-sha256;\n\tsecret "${k.secret}";\n};\n`, {mode: 0o600})
      const fromFile = await openRfc2136Zone(spec({secretFile: 'hactl.key'}), {location: {file: 'hactl.yaml'}, dir})
      await fromFile.upsertRecordSet(set('cfg.example.test.', ['192.0.2.50']))
      const fromEnv = await openRfc2136Zone(spec({secretEnv: 'HACTL_TSIG'}), {location: {file: 'hactl.yaml'}, dir, env: {HACTL_TSIG: k.secret}})
      expect((await fromEnv.getRecordSet('cfg.example.test.'))?.values).to.deep.equal(['192.0.2.50'])
    })

    it('a missing variable, a missing file, a key file for another algorithm: exit 2 naming what to fix', async () => {
      const missing = await failure(openRfc2136Zone(spec({secretEnv: 'HACTL_NO_SUCH_VAR'}), {location: {file: 'hactl.yaml'}, dir, env: {}}))
      expect(missing.exitCode).to.equal(2)
      expect(missing.message).to.contain('HACTL_NO_SUCH_VAR')
      const noFile = await failure(openRfc2136Zone(spec({secretFile: 'absent.key'}), {location: {file: 'hactl.yaml'}, dir}))
      expect(noFile.exitCode).to.equal(2)
      expect(noFile.message).to.match(/secret file absent.key for key hactl-test \(ENOENT\)/)
      await writeFile(path.join(dir, 'sha512.key'), `key "hactl-test" { algorithm hmac-sha512; secret "${key('hactl-512').secret}"; };\n`, {mode: 0o600})
      const other = await failure(openRfc2136Zone(spec({secretFile: 'sha512.key'}), {location: {file: 'hactl.yaml'}, dir}))
      expect(other.exitCode).to.equal(2)
      expect(other.message).to.contain('is for hmac-sha512, but tsig.algorithm is hmac-sha256')
      expect(other.message).not.to.contain(key('hactl-512').secret)
    })
  })
})
