import {expect} from 'chai'

import {createLocalProvider} from '../../../src/cloud/local/provider.js'
import {loadCluster} from '../../../src/cluster/loader.js'
import {steadyTraffic, upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface Row {
  id: string
  name: string
  privateIp: string
  target?: {state: string; reason?: string}
}

/**
 * `sandbox up --topology nlb` end to end: one balancer address in front of
 * three proxies, spreading new connections over them; a proxy killed under
 * steady traffic leaves the balancer after its unhealthy threshold while the
 * clients keep being served; a terminated proxy is replaced by the local
 * scaling group and the replacement becomes a healthy target. What the
 * balancer sees shows in proxy list, status and health check.
 */
describe('topology nlb on the sandbox', function () {
  this.timeout(180_000)
  let sb: TestSandbox
  let balancer: string

  const rows = async (): Promise<Row[]> => {
    const listed = await sb.run(['proxy', 'list', '--json'])
    expect(listed.code, listed.stderr).to.equal(0)
    return (JSON.parse(listed.stdout) as {proxies: Row[]}).proxies
  }
  const targetOf = (all: Row[], name: string): string | undefined => all.find((r) => r.name === name)?.target?.state
  const allHealthy = async (): Promise<Row[] | undefined> => {
    const all = await rows()
    return all.length === 3 && all.every((r) => r.target?.state === 'healthy') ? all : undefined
  }

  before(async () => {
    sb = await upSandbox(62, {extra: ['--topology', 'nlb']})
    expect(sb.up.code, sb.up.stderr).to.equal(0)
    balancer = `${sb.nets.address}.100`
    await waitFor('every proxy to be a healthy target of the balancer', allHealthy, 30_000, 200)
  })

  after(async () => {
    await sb?.down()
  })

  it('prints where to reach the balancer, and DNS names it instead of Elastic IPs', async () => {
    expect(sb.up.stdout).to.include(`curl -s http://${balancer}:${sb.ports.proxy}/`)
    expect(sb.up.stdout).to.match(new RegExp(`balancer ${balancer.replaceAll('.', '\\.')}:${sb.ports.proxy}`))
    expect(await sb.resolve('www.sandbox.test')).to.deep.equal([balancer])
    const eips = await sb.run(['eip', 'list'])
    expect(eips.code).to.equal(2)
    expect(eips.stderr).to.include('topology nlb has no Elastic IPs')
  })

  it('spreads new connections over every proxy', async () => {
    const served: string[] = []
    for (let i = 0; i < 30; i++) {
      const r = await sb.get(balancer)
      expect(r.status).to.equal(200)
      served.push(r.proxy ?? '?')
    }
    expect(new Set(served)).to.deep.equal(new Set(['proxy-1', 'proxy-2', 'proxy-3']))
  })

  it('stops sending new connections to a killed proxy once its checks fail, and the clients keep being served', async () => {
    const traffic = steadyTraffic(sb, balancer)
    try {
      await waitFor('steady traffic', () => traffic.log.filter((s) => s.ok).length >= 30 || undefined, 20_000)
      const killed = await sb.run(['sandbox', 'kill', 'proxy-1'])
      expect(killed.code, killed.stderr).to.equal(0)
      const killedAt = Date.now()
      await waitFor('the balancer to call proxy-1 unhealthy', async () => targetOf(await rows(), 'proxy-1') === 'unhealthy' || undefined, 30_000, 100)
      const seenAt = Date.now()
      await waitFor('two seconds of traffic after it', () => traffic.log.filter((s) => s.send > seenAt + 2000).length >= 20 || undefined, 20_000)
      traffic.stop()
      const after = traffic.log.filter((s) => s.send > seenAt)
      expect(after.filter((s) => !s.ok), 'requests failed after the balancer took proxy-1 out').to.deep.equal([])
      expect(after.some((s) => s.proxy === 'proxy-1')).to.equal(false)
      expect(new Set(after.map((s) => s.proxy))).to.deep.equal(new Set(['proxy-2', 'proxy-3']))
      // Before that, only what reached the dead proxy failed: most requests were served all along.
      const during = traffic.log.filter((s) => s.send >= killedAt && s.send <= seenAt)
      expect(during.filter((s) => s.ok).length).to.be.greaterThan(during.filter((s) => !s.ok).length)
    } finally {
      traffic.stop()
    }

    const status = await sb.run(['status'])
    expect(status.code).to.equal(5)
    expect(status.stdout).to.match(/balancer sandbox-nlb at .*: .* 2 of 3 targets healthy/)
    expect(status.stdout).to.match(/proxy-1\s.*unhealthy \(Target\.FailedHealthChecks\)/)
    expect(status.stdout).to.include('target proxy-1 is unhealthy to the balancer')
    const health = await sb.run(['health', 'check', '--target', 'proxies', '--json'])
    expect(health.code).to.equal(5)
    const report = JSON.parse(health.stdout) as {rows: {target: string; result: string; balancer?: string}[]; unhealthyTargets: string[]}
    const proxy1 = report.rows.find((r) => r.target.startsWith('proxy-1'))
    expect(proxy1?.result).to.equal('fail')
    expect(proxy1?.balancer).to.equal('unhealthy (Target.FailedHealthChecks)')
    expect(report.rows.find((r) => r.target.startsWith('proxy-2'))?.balancer).to.equal('healthy')

    const revived = await sb.run(['sandbox', 'revive', 'proxy-1'])
    expect(revived.code, revived.stderr).to.equal(0)
    await waitFor('proxy-1 to be a healthy target again', allHealthy, 30_000, 200)
  })

  it('replaces a terminated proxy through the scaling group; the replacement becomes a healthy target', async () => {
    const before = await rows()
    const old = before.find((r) => r.name === 'proxy-2')
    expect(old).to.not.equal(undefined)
    const terminated = await sb.run(['proxy', 'terminate', 'proxy-2', '--yes'])
    expect(terminated.code, terminated.stderr).to.equal(0)
    expect(terminated.stdout).to.include('the group launches a replacement')
    const healed = await waitFor(
      'a replacement for proxy-2 as a healthy target',
      async () => {
        const all = await allHealthy()
        return all && !all.some((r) => r.id === old?.id) ? all : undefined
      },
      30_000,
      200,
    )
    const replacement = healed.find((r) => r.name === 'proxy-2')
    // The next free private address: the one the terminated proxy left.
    expect(replacement?.privateIp).to.equal(old?.privateIp)
    expect(replacement?.id).to.not.equal(old?.id)
    const served = new Set<string>()
    for (let i = 0; i < 30; i++) served.add((await sb.get(balancer)).proxy ?? '?')
    expect(served).to.deep.equal(new Set(['proxy-1', 'proxy-2', 'proxy-3']))
    const status = await sb.run(['status'])
    expect(status.code, status.stdout).to.equal(0)
    expect(status.stdout).to.match(/3 of \d targets healthy/)
  })

  it('the scaling group grows to a higher count and drains its newest proxy when the count is lowered again', async () => {
    const provider = await createLocalProvider(await loadCluster(sb.clusterFile))
    const group = await provider.describeGroup()
    expect(group?.desired).to.equal(3)
    expect(group?.instances.map((i) => i.lifecycle)).to.deep.equal(['InService', 'InService', 'InService'])
    await provider.setCount(4)
    const grown = await waitFor(
      'a fourth proxy as a healthy target',
      async () => {
        const all = await rows()
        return all.length === 4 && all.every((r) => r.target?.state === 'healthy') ? all : undefined
      },
      30_000,
      200,
    )
    const fourth = grown.find((r) => r.name === 'proxy-4')
    expect(fourth).to.not.equal(undefined)
    await provider.setCount(3)
    await waitFor('proxy-4 draining', async () => (await provider.describeBalancer())?.targets.find((t) => t.instanceId === fourth?.id)?.state === 'draining' || undefined, 10_000, 100)
    expect((await rows()).map((r) => r.name)).to.include('proxy-4')
    await waitFor('proxy-4 gone after the drain', async () => ((await rows()).some((r) => r.id === fourth?.id) ? undefined : true), 30_000, 200)
    expect((await provider.describeGroup())?.instances).to.have.length(3)
  })
})
