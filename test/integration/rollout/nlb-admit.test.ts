import {expect} from 'chai'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {stringify} from 'yaml'

import type {BalancerParts, Cloud, ScalingView} from '../../../src/cloud/capabilities.js'
import type {ProxyInstance} from '../../../src/cloud/provider.js'
import {loadCluster, type Cluster} from '../../../src/cluster/loader.js'
import {MemoryReporter} from '../../../src/events.js'
import {admitPending} from '../../../src/services/admit.js'
import {monitorNlb} from '../../../src/services/monitor-nlb.js'
import {launchProxies} from '../../../src/services/proxy.js'
import {startProxyHost, versions, type ProxyHost} from '../../harness/proxy-hosts.js'
import {waitFor} from '../../harness/wait.js'

/**
 * What moto does not model: an Auto Scaling group whose launch hook holds
 * new instances in Pending:Wait until CompleteLifecycleAction. The group here
 * is that part alone (pendingLaunches, admitLaunch); each instance is a
 * loopback sshd with a real haproxy. At the moment an instance is admitted
 * the log records whether its live config is the source, so "pushed before
 * it joins" is observed, not assumed.
 */
describe('topology nlb: new proxies join the balancer only after the source config is pushed', function () {
  this.timeout(180_000)
  let good: ProxyHost
  let broken: ProxyHost
  let source: string
  let cluster: Cluster

  before(async () => {
    good = await startProxyHost('lb-a')
    broken = await startProxyHost('lb-b', good.sshd.identityFile)
    source = (await versions(good)).v2
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-admit-'))
    await writeFile(path.join(dir, 'known_hosts'), (await readFile(good.sshd.knownHosts, 'utf8')) + (await readFile(broken.sshd.knownHosts, 'utf8')))
    await writeFile(path.join(dir, 'haproxy.cfg'), source, 'latin1')
    await writeFile(
      path.join(dir, 'hactl.yaml'),
      stringify({
        cluster: 'web',
        provider: 'aws',
        topology: 'nlb',
        proxy: {engine: 'haproxy', config: './haproxy.cfg', checkTimeout: '2s'},
        ssh: {identityFile: good.sshd.identityFile, knownHosts: path.join(dir, 'known_hosts'), connectTimeout: '10s', commandTimeout: '30s'},
      }),
    )
    cluster = await loadCluster(path.join(dir, 'hactl.yaml'))
  })
  after(async () => {
    await good?.stop()
    await broken?.stop()
  })

  const instance = (id: string, host: ProxyHost, overrides: {check?: string} = {}): ProxyInstance => ({
    id,
    name: host.name,
    zone: 'us-east-1a',
    state: 'running',
    tags: {},
    access: {
      transport: 'ssh',
      address: host.sshd.host,
      port: host.sshd.port,
      remotePath: host.live,
      reload: host.entry.reload as string,
      // lb-b's proxy never passes its check after a reload: its push fails and is rolled back.
      check: overrides.check ?? (host.entry.check as string),
      statsSocket: host.haproxy.socket,
    },
  })

  /** A group whose instances wait on the launch hook until admitted; the log says what each served when its wait ended. */
  function hookedCloud(waiting: string[], inService: string[] = []): {cloud: Cloud; log: string[]} {
    const log: string[] = []
    const held = new Set(waiting)
    const proxies = [instance('i-a', good), instance('i-b', broken, {check: 'exit 1'})]
    const everything: BalancerParts = {
      launchTemplate: true,
      targetGroups: [80],
      targetGroupAttributes: [80],
      balancer: true,
      balancerAttributes: true,
      listeners: [80],
      scalingGroup: true,
      attached: [80],
      launchHook: true,
    }
    const group = (): ScalingView => ({
      name: 'hactl-web',
      desired: waiting.length + inService.length,
      min: waiting.length + inService.length,
      max: waiting.length + inService.length,
      instances: [...waiting, ...inService].map((instanceId) => ({instanceId, lifecycle: held.has(instanceId) ? 'Pending:Wait' : 'InService', health: 'healthy' as const})),
    })
    const cloud: Cloud = {
      kind: 'aws',
      hosts: {listProxies: async () => proxies},
      balancerSetup: {
        observeParts: async () => everything,
        async createPart(part) {
          log.push(`create ${part.part}`)
        },
      },
      scaling: {
        describeGroup: async () => group(),
        setCount: async () => {},
        terminateThroughGroup: async () => {},
        pendingLaunches: async () => [...held],
        async admitLaunch(instanceId, result) {
          const host = instanceId === 'i-a' ? good : broken
          const live = await readFile(host.live, 'latin1')
          log.push(`${result} ${instanceId} ${live === source ? 'serving the source' : 'NOT serving the source'}`)
          held.delete(instanceId)
        },
      },
    }
    return {cloud, log}
  }

  it('proxy admit --dry-run pushes nothing and admits nothing; it lists the admission', async () => {
    const {cloud, log} = hookedCloud(['i-a'])
    const before = await readFile(good.live, 'latin1')
    const report = await admitPending({cluster, reporter: new MemoryReporter(), cloud, dryRun: true})
    expect(report.changed).to.equal(false)
    expect(report.pending).to.deep.equal(['i-a'])
    expect(report.dryRun?.calls).to.deep.equal(['let i-a join the balancer'])
    expect(log).to.deep.equal([])
    expect(await readFile(good.live, 'latin1')).to.equal(before)
  })

  it('a waiting proxy gets the source config first, then CONTINUE; one whose push fails is left waiting (exit 4)', async () => {
    const {cloud, log} = hookedCloud(['i-a', 'i-b'])
    const before = await readFile(broken.live, 'latin1')
    const reporter = new MemoryReporter()
    const report = await admitPending({cluster, reporter, cloud})
    expect(log).to.deep.equal(['continue i-a serving the source'])
    expect(report.admitted).to.deep.equal(['i-a'])
    expect(report.waiting).to.deep.equal(['i-b'])
    expect(report.exitCode).to.equal(4)
    expect(report.summary).to.include('NOT admitted: lb-b')
    expect(report.summary).to.include('hactl proxy admit')
    // The failed push was rolled back: lb-b still runs what it booted with, and stays out of the balancer.
    expect(await readFile(broken.live, 'latin1')).to.equal(before)
    expect(reporter.events.some((e) => e.level === 'warn' && e.subject === 'lb-b' && e.message.includes('not admitted'))).to.equal(true)

    // Again: lb-a is in; lb-b is tried again and still not admitted.
    const again = await admitPending({cluster, reporter: new MemoryReporter(), cloud})
    expect(again.pending).to.deep.equal(['i-b'])
    expect(again.admitted).to.deep.equal([])
    expect(log).to.deep.equal(['continue i-a serving the source'])
  })

  it('proxy launch admits the proxies the hook holds, pushing first, and says which could not be admitted (exit 4)', async () => {
    // A fresh config on lb-a again, so the push has something to do.
    await writeFile(good.live, (await versions(good)).v1.replace(/be_v2/g, 'be_v1'), 'latin1')
    const {cloud, log} = hookedCloud(['i-a', 'i-b'])
    const reporter = new MemoryReporter()
    const report = await launchProxies({cluster, reporter, cloud, count: 2, waitTimeoutMs: 60_000})
    expect(log).to.deep.equal(['continue i-a serving the source'])
    expect(report.exitCode).to.equal(4)
    expect(report.summary).to.include('lb-b')
    expect(report.summary).to.include('hactl proxy admit')
    expect(reporter.events.some((e) => e.code === 'proxy.wait' && e.message.includes('waiting for the source config'))).to.equal(true)
  })

  it('proxy launch with every proxy admitted: exit 0; nothing waits: nothing changed', async () => {
    await writeFile(good.live, (await versions(good)).v1.replace(/be_v2/g, 'be_v1'), 'latin1')
    const {cloud, log} = hookedCloud(['i-a'])
    const report = await launchProxies({cluster, reporter: new MemoryReporter(), cloud, count: 1, waitTimeoutMs: 60_000})
    expect(log).to.deep.equal(['continue i-a serving the source'])
    expect(report.exitCode).to.equal(undefined)
    expect(report.changed).to.equal(true)
    const again = await launchProxies({cluster, reporter: new MemoryReporter(), cloud, count: 1, waitTimeoutMs: 60_000})
    expect(again.changed).to.equal(false)
    expect(again.summary).to.include('nothing changed')
    expect(log).to.have.length(1)
  })

  it('the monitor on topology nlb: each round admits what the hook holds, and nothing else', async () => {
    await writeFile(good.live, (await versions(good)).v1.replace(/be_v2/g, 'be_v1'), 'latin1')
    const {cloud, log} = hookedCloud(['i-a'], ['i-b'])
    const reporter = new MemoryReporter()
    const result = await monitorNlb(cluster, cloud, {once: true, intervalMs: 1000, dryRun: false, log: Object.assign(reporter, {round: ''})})
    expect(log).to.deep.equal(['continue i-a serving the source'])
    expect(result).to.deep.equal({rounds: 1, degraded: false})
    expect(reporter.events.some((e) => e.code === 'monitor.admit' && e.message.includes('admitted lb-a'))).to.equal(true)

    // Rounds until stopped: with nothing waiting, a round reports nothing.
    const controller = new AbortController()
    const quiet = new MemoryReporter()
    let looks = 0
    const scaling = cloud.scaling as NonNullable<Cloud['scaling']>
    const pending = scaling.pendingLaunches?.bind(scaling) as () => Promise<string[]>
    const counted: Cloud = {...cloud, scaling: {...scaling, pendingLaunches: async () => (looks++, pending())}}
    const running = monitorNlb(cluster, counted, {once: false, intervalMs: 200, dryRun: false, signal: controller.signal, log: Object.assign(quiet, {round: ''})})
    await waitFor('three rounds', async () => looks >= 3, 30_000)
    controller.abort()
    const stopped = await running
    expect(stopped.rounds).to.be.greaterThan(1)
    expect(quiet.events.filter((e) => e.code === 'monitor.admit')).to.deep.equal([])
    expect(log).to.have.length(1)
  })
})
