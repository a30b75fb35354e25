import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {expect} from 'chai'

import {startNamed, type Named} from '../../harness/named.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'

const NAME = 'www.sandbox.test.'

interface StatusJson {
  dns?: {name: string; live: string[]; expected: string[]; ok: boolean}
  problems: string[]
}

/**
 * A sandbox whose cluster file sends its DNS to a real BIND (dns.provider
 * rfc2136) instead of the sandbox's own server: the monitor publishes the
 * pool there, and status reads its drift from there.
 */
describe('the monitor and status with dns.provider rfc2136, on a sandbox and a real named', function () {
  this.timeout(180_000)
  let sb: TestSandbox
  let named: Named

  const status = async (): Promise<{code: number; body: StatusJson}> => {
    const r = await sb.run(['status', '--json', '--no-backends'])
    return {code: r.code, body: JSON.parse(r.stdout) as StatusJson}
  }

  before(async () => {
    named = await startNamed({zone: 'sandbox.test'})
    sb = await upSandbox(51)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    const [k] = named.keys
    await writeFile(path.join(sb.dir, 'tsig.key'), `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };\n`, {mode: 0o600})
    const file = await readFile(sb.clusterFile, 'utf8')
    const local = /^dns:\n {2}zone: sandbox\.test\.\n {2}name: www\.sandbox\.test\.\n {2}ttl: 5\n/m
    expect(file).to.match(local)
    const rfc2136 = ['dns:', '  provider: rfc2136', '  server: 127.0.0.1', `  port: ${named.port}`, '  zone: sandbox.test.', `  name: ${NAME}`, '  ttl: 5', `  tsig: {keyName: ${k.name}, secretFile: ./tsig.key}`, ''].join('\n')
    await writeFile(sb.clusterFile, file.replace(local, rfc2136))
  })

  after(async () => {
    await sb?.down()
    await named?.stop()
  })

  it('status reads the record from the server the cluster file names, and shows the drift', async () => {
    const {code, body} = await status()
    expect(code).to.equal(5)
    expect(body.dns).to.include({name: NAME, ok: false})
    expect(body.dns?.live).to.deep.equal([])
    expect(body.dns?.expected).to.deep.equal([sb.eip(1), sb.eip(2), sb.eip(3)])
    expect(body.problems.join('\n')).to.contain(`DNS ${NAME} differs from the pool`)
  })

  it('monitor --once publishes the pool to that server; then status finds DNS in sync', async () => {
    const r = await sb.run(['monitor', '--once'])
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(await named.lookup(NAME)).to.deep.equal({values: [sb.eip(1), sb.eip(2), sb.eip(3)].sort(), ttl: 5})
    const after = await status()
    expect(after.body.dns).to.include({ok: true})
    expect(after.body.dns?.live).to.deep.equal([sb.eip(1), sb.eip(2), sb.eip(3)].sort())
    for (const k of named.keys) expect(r.stdout + r.stderr).not.to.contain(k.secret)
  })

  it('eip release --force: the dry run shows the UPDATE for that server, the real run republishes the rest there', async () => {
    const [one, two, three] = [sb.eip(1), sb.eip(2), sb.eip(3)]
    const refused = await sb.run(['eip', 'release', three])
    expect(refused.code, refused.stdout + refused.stderr).to.equal(2)
    expect(refused.stderr).to.contain(`${three} is in the DNS record ${NAME}`)

    const dry = await sb.run(['eip', 'release', three, '--force', '--dry-run'])
    expect(dry.code, dry.stdout + dry.stderr).to.equal(0)
    for (const ip of [one, two]) expect(dry.stdout).to.contain(`update add ${NAME} 5 IN A ${ip}`)
    expect(dry.stdout).not.to.contain(`IN A ${three}`)
    expect(dry.stdout).not.to.contain('sandbox DNS')
    expect((await named.lookup(NAME)).values).to.include(three)

    const r = await sb.run(['eip', 'release', three, '--force'])
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.contain(`republished ${NAME} A ${[one, two].sort().join(' ')}`)
    expect((await named.lookup(NAME)).values).to.deep.equal([one, two].sort())
  })
})
