import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import {request} from 'node:http'

import {netOctet, upSandbox, type TestSandbox} from '../../harness/sandbox.js'

interface AuditJson {
  ok: boolean
  summary: string
  findings: {kind: string; groupName: string; rule: string; instances: string[]}[]
  checked: {proxies: number; backends: number}
}

interface StatusJson {
  firewall?: {state: string; findings: number; kinds: Record<string, number>}
  problems: string[]
}

/**
 * The sandbox's firewall, through the built CLI: its demo backends answer the
 * proxies and nobody else on loopback, `firewall audit` passes on a fresh
 * sandbox and finds a backend opened by hand, and `status` says so.
 */
describe('the sandbox firewall: backends reached only through the proxies, audited', function () {
  this.timeout(180_000)
  let sb: TestSandbox
  /** An address of this machine that is neither a proxy nor 127.0.0.1: "the world" on loopback. */
  const outsider = `127.${netOctet(57)}.9.1`

  /** A request to a backend straight from `localAddress`: its body, or the error (a refused connection is reset). */
  const direct = (n: number, localAddress: string): Promise<string> =>
    new Promise((resolve) => {
      const req = request({host: `${sb.nets.backend}.${n}`, port: sb.ports.backend, path: '/', localAddress, agent: false, timeout: 3000}, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve(body))
      })
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`))
      req.end()
    })
  const audit = async (): Promise<{code: number; body: AuditJson}> => {
    const r = await sb.run(['firewall', 'audit', '--json'])
    return {code: r.code, body: JSON.parse(r.stdout) as AuditJson}
  }
  const status = async (): Promise<{code: number; stdout: string; body: StatusJson}> => {
    const text = await sb.run(['status'])
    const json = await sb.run(['status', '--json'])
    return {code: json.code, stdout: text.stdout, body: JSON.parse(json.stdout) as StatusJson}
  }

  before(async () => {
    sb = await upSandbox(57)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    await sb?.down()
  })

  it('a fresh sandbox: the proxies reach every backend, another address is refused, audit and status pass', async () => {
    expect(sb.up.stderr).to.match(/firewall: \d+ changes made/)
    const served = new Set<string>()
    for (let i = 0; i < 8; i++) served.add((await sb.get(sb.eip(1))).body.split(' ')[0])
    expect([...served].sort()).to.deep.equal(['web1', 'web2', 'web3', 'web4'])
    expect(await direct(1, outsider)).to.equal('error ECONNRESET')
    // hactl probes the backends from 127.0.0.1, which the sandbox's policy names.
    expect(await direct(1, '127.0.0.1')).to.match(/^web1 /)

    const ok = await audit()
    expect(ok.code, JSON.stringify(ok.body)).to.equal(0)
    expect(ok.body.summary).to.equal('no findings: 3 proxies and 4 backends checked')
    const again = await sb.run(['firewall', 'apply'])
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.include('the firewall already matches the policy: nothing to change')

    const s = await status()
    expect(s.code, JSON.stringify(s.body.problems)).to.equal(0)
    expect(s.stdout).to.match(/^firewall: ✓ no findings$/m)
    expect(s.body.firewall).to.deep.include({state: 'ok', findings: 0})
    const without = JSON.parse((await sb.run(['status', '--json', '--no-firewall'])).stdout) as StatusJson
    expect(without.firewall, '--no-firewall skips the audit').to.equal(undefined)
  })

  it('sandbox open web2 lets anyone in: audit finds it (exit 5), status says so, apply leaves it, close shuts it', async () => {
    const open = await sb.run(['sandbox', 'open', 'web2'])
    expect(open.code, open.stderr).to.equal(0)
    expect(await direct(2, outsider)).to.match(/^web2 /)
    expect(await direct(3, outsider), 'the other backends stay closed').to.equal('error ECONNRESET')

    const hole = await audit()
    expect(hole.code).to.equal(5)
    expect(hole.body.findings).to.have.length(1)
    expect(hole.body.findings[0]).to.deep.include({kind: 'backend-open', groupName: 'open-to-the-world', instances: ['web2']})
    expect(hole.body.findings[0].rule).to.equal(`tcp/${sb.ports.backend} from 0.0.0.0/0 (made by hand: sandbox open)`)
    const text = await sb.run(['firewall', 'audit'])
    expect(text.stdout).to.match(/^backend-open: sg-\S+ \(open-to-the-world\) tcp\/\d+ from 0\.0\.0\.0\/0 .*\[web2\]$/m)

    const s = await status()
    expect(s.code).to.equal(5)
    expect(s.stdout).to.match(/^firewall: ✗ 1 finding \(hactl firewall audit\)$/m)
    expect(s.body.firewall).to.deep.include({state: 'findings', findings: 1, kinds: {'backend-open': 1}})
    expect(s.body.problems).to.include('firewall: 1 finding (hactl firewall audit)')

    // A group hactl did not make is never taken away by apply: the audit is what reports it.
    const apply = await sb.run(['firewall', 'apply'])
    expect(apply.stdout).to.include('nothing to change')
    expect(await direct(2, outsider)).to.match(/^web2 /)

    const close = await sb.run(['sandbox', 'close', 'web2'])
    expect(close.code, close.stderr).to.equal(0)
    expect(await direct(2, outsider)).to.equal('error ECONNRESET')
    expect((await audit()).code).to.equal(0)
    expect((await sb.run(['sandbox', 'close', 'web2'])).stdout).to.include('nothing changed')
  })

  it('plan shows the calls a changed policy needs; apply makes them, and revokes them when the policy drops them', async () => {
    // An extra rule of the policy's, made and revoked again through apply.
    const before = await readFile(sb.clusterFile, 'utf8')
    await writeFile(sb.clusterFile, before.replace('from: [127.0.0.1/32]', `from: [127.0.0.1/32, ${outsider}/32]`))
    try {
      const plan = await sb.run(['firewall', 'plan'])
      expect(plan.code, plan.stderr).to.equal(0)
      expect(plan.stdout).to.include(`plan: allow tcp/${sb.ports.backend} from ${outsider}/32 into the backends' group`)
      expect(plan.stdout).to.match(/would call sandbox:Authorize /)
      expect(await direct(1, outsider), 'plan changes nothing').to.equal('error ECONNRESET')
      expect((await sb.run(['firewall', 'apply'])).code).to.equal(0)
      expect(await direct(1, outsider)).to.match(/^web1 /)
      expect((await audit()).code, 'an extra rule of the policy is no finding').to.equal(0)
    } finally {
      await writeFile(sb.clusterFile, before)
    }
    const revoke = await sb.run(['firewall', 'apply'])
    expect(revoke.stdout).to.include('made 1 change')
    expect(await direct(1, outsider)).to.equal('error ECONNRESET')
  })

  it('the proxies connect from their own addresses, which their group lets in: with 127.0.0.1 dropped from the policy they still reach every backend', async () => {
    const before = await readFile(sb.clusterFile, 'utf8')
    const extra = /^ {4}- \{role: backends, port: \d+, from: \[127\.0\.0\.1\/32\].*\n/m
    expect(before).to.match(extra)
    await writeFile(sb.clusterFile, before.replace(extra, '').replace(/^ {2}extra:\n/m, ''))
    try {
      const apply = await sb.run(['firewall', 'apply'])
      expect(apply.code, apply.stderr).to.equal(0)
      expect(apply.stderr).to.match(/revoke tcp\/\d+ from 127\.0\.0\.1\/32/)
      expect(await direct(1, '127.0.0.1')).to.equal('error ECONNRESET')
      const served = new Set<string>()
      for (let i = 0; i < 8; i++) served.add((await sb.get(sb.eip(2))).body.split(' ')[0])
      expect([...served].sort()).to.deep.equal(['web1', 'web2', 'web3', 'web4'])
    } finally {
      await writeFile(sb.clusterFile, before)
      expect((await sb.run(['firewall', 'apply'])).code).to.equal(0)
    }
  })
})
