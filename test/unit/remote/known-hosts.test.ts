import {expect} from 'chai'
import {createHmac, generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hostKeyName, KnownHostsFile, parseKnownHosts, patternsMatch, verifyHostKey} from '../../../src/remote/known-hosts.js'

/** An SSH wire-format ed25519 public key blob. */
function blob(): Buffer {
  const raw = generateKeyPairSync('ed25519').publicKey.export({format: 'der', type: 'spki'}).subarray(-32)
  const name = Buffer.from('ssh-ed25519')
  const len = (b: Buffer): Buffer => Buffer.from([0, 0, 0, b.length])
  return Buffer.concat([len(name), name, len(raw), raw])
}

function hashed(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

describe('known_hosts', () => {
  const key = blob()
  const other = blob()
  const line = (patterns: string, k = key): string => `${patterns} ssh-ed25519 ${k.toString('base64')}`

  it('names hosts off port 22 as [host]:port and matches only that form', () => {
    expect(hostKeyName('lb1', 22)).to.equal('lb1')
    expect(hostKeyName('127.0.0.1', 2222)).to.equal('[127.0.0.1]:2222')
    expect(patternsMatch('127.0.0.1', '127.0.0.1', 2222)).to.equal(false)
    expect(patternsMatch('[127.0.0.1]:2222', '127.0.0.1', 2222)).to.equal(true)
  })

  it('knows a host from a hashed |1| entry', () => {
    const known = parseKnownHosts(`${line(hashed('[10.0.0.5]:2200'))}\n`)
    expect(verifyHostKey(known, '10.0.0.5', 2200, key).status).to.equal('known')
    expect(verifyHostKey(known, '10.0.0.6', 2200, key).status).to.equal('unknown')
  })

  it('honours wildcards and negation in host patterns', () => {
    expect(patternsMatch('*.example.net,!bad.example.net', 'lb1.example.net', 22)).to.equal(true)
    expect(patternsMatch('*.example.net,!bad.example.net', 'bad.example.net', 22)).to.equal(false)
  })

  it('calls a different key of the same type for a known host a change, never unknown', () => {
    const known = parseKnownHosts(`# comment\n${line('lb1,10.0.0.1', other)}\n`)
    expect(verifyHostKey(known, 'lb1', 22, key)).to.deep.include({status: 'changed', line: 2})
  })

  it('refuses a revoked key even when another line trusts it', () => {
    const known = parseKnownHosts(`@revoked * ssh-ed25519 ${key.toString('base64')}\n${line('lb1')}\n`)
    expect(verifyHostKey(known, 'lb1', 22, key).status).to.equal('revoked')
  })

  it('records exactly one line for a new host, even when asked twice at once', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'hactl-kh-')), 'known_hosts')
    const kh = new KnownHostsFile(file)
    await Promise.all([kh.add('127.0.0.1', 2222, key), kh.add('127.0.0.1', 2222, key)])
    const text = await readFile(file, 'utf8')
    expect(text.trim().split('\n')).to.deep.equal([`[127.0.0.1]:2222 ssh-ed25519 ${key.toString('base64')}`])
  })
})
