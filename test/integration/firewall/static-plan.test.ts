import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

const CLUSTER = `cluster: shop
provider: static
hosts:
  - {name: p1, address: 10.240.1.1}
  - {name: p2, address: 10.240.1.3}
proxy: {engine: haproxy, config: ./haproxy.cfg}
firewall: {public: [80], admin: [10.240.9.0/24]}
`

const CONFIG = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

backend app
    server b1 10.240.1.2:8080 check
    server b2 10.240.1.4:8081 check
`

describe('firewall plan on provider static: the nftables tables', function () {
  this.timeout(60_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-fw-'))
    await writeFile(path.join(dir, 'haproxy.cfg'), CONFIG)
  })

  it('prints the table of each role: backends accept their ports only from the proxies', async () => {
    await writeFile(path.join(dir, 'hactl.yaml'), CLUSTER)
    const r = await hactl(['firewall', 'plan'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.include('# table inet hactl for the proxies: p1, p2')
    expect(r.stdout).to.include('# table inet hactl for the backends: 10.240.1.2, 10.240.1.4')
    expect(r.stdout).to.include('ip saddr { 10.240.1.1, 10.240.1.3 } tcp dport { 8080, 8081 } accept')
    expect(r.stdout).to.include('tcp dport { 22, 8080, 8081 } drop')
    expect(r.stdout).to.include('tcp dport 80 accept')

    const json = JSON.parse((await hactl(['firewall', 'plan', '--json'], {cwd: dir})).stdout) as {nftables: {role: string; text: string}[]}
    expect(json.nftables.map((t) => t.role)).to.deep.equal(['proxies', 'backends'])
  })

  it('a proxy written by name is refused before any host is contacted (exit 2)', async () => {
    await writeFile(path.join(dir, 'hactl.yaml'), CLUSTER.replace('10.240.1.3', 'proxy2.example.net'))
    for (const command of ['plan', 'apply', 'audit']) {
      const named = await hactl(['firewall', command], {cwd: dir})
      expect(named.code).to.equal(2)
      expect(named.stderr).to.include("the firewall needs the proxies' IP addresses: p2 (proxy2.example.net) is written as a name")
    }
  })
})
