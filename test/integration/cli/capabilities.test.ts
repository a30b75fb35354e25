import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

/**
 * A static cluster (hosts over SSH, no cloud API) has its hosts and nothing
 * else: a command that needs a capability it lacks names the capability,
 * says what to do, exits 2, and touches nothing. Listing works.
 */
describe('a command needing a capability the cluster lacks', function () {
  this.timeout(60_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-static-'))
    await writeFile(
      path.join(dir, 'hactl.yaml'),
      'cluster: web\nprovider: static\nproxy:\n  engine: haproxy\n  config: ./haproxy.cfg\nhosts:\n  - { name: lb1, address: 127.0.0.1 }\n  - { name: lb2, address: 127.0.0.1, port: 2222 }\ndns: {zone: example.com., name: www.example.com., ttl: 30}\n',
    )
    await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n')
  })

  const refused: [string[], RegExp, RegExp][] = [
    [['eip', 'list'], /the cluster has no address pool capability \(Elastic IPs\): provider static does not offer it/, /provider: aws/],
    [['eip', 'allocate'], /no address pool capability/, /provider: aws/],
    [['proxy', 'launch'], /the cluster has no instances capability \(launch, terminate\): provider static does not offer it/, /Edit hosts: in the cluster file/],
    [['dns', 'show'], /provider static has no DNS of its own: set dns.provider/, /provider: rfc2136/],
    [['health', 'check', '--target', 'addresses'], /no address pool capability/, /provider: aws/],
  ]
  for (const [args, message, action] of refused) {
    it(`hactl ${args.join(' ')} names the missing capability and exits 2`, async () => {
      const r = await hactl(args, {cwd: dir})
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(message)
      expect(r.stderr).to.match(action)
    })
  }

  it('--json carries the missing capability as data', async () => {
    const r = await hactl(['eip', 'list', '--json'], {cwd: dir})
    expect(r.code).to.equal(2)
    const body = JSON.parse(r.stdout) as {error: {capability?: string; exitCode: number}}
    expect(body.error).to.include({capability: 'addresses', exitCode: 2})
  })

  it('proxy list lists the hosts, holding no addresses', async () => {
    const r = await hactl(['proxy', 'list', '--json'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(0)
    const rows = (JSON.parse(r.stdout) as {proxies: {id: string; eips: string[]}[]}).proxies
    expect(rows.map((row) => row.id)).to.deep.equal(['lb1', 'lb2'])
    expect(rows.every((row) => row.eips.length === 0)).to.equal(true)
  })
})
