import {expect} from 'chai'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {BalancerView, Cloud, ScalingView} from '../../../src/cloud/capabilities.js'
import type {ProxyInstance} from '../../../src/cloud/provider.js'
import {parseCluster, type Cluster} from '../../../src/cluster/loader.js'
import {MemoryReporter} from '../../../src/events.js'
import {terminateProxy} from '../../../src/services/proxy.js'

const proxy = (id: string): ProxyInstance => ({id, zone: 'us-east-1a', state: 'running', tags: {}, access: {transport: 'ssh', address: '127.0.0.1', port: 22, user: 'admin'}})

/**
 * What moto does not model: an AWS target stays `draining` for the
 * deregistration delay after DeregisterTargets. The balancer here keeps the
 * proxy draining for a number of describes; the log says in which order
 * hactl deregistered, saw it drain, and terminated.
 */
function drainingCloud(drainingFor: number): {cloud: Cloud; log: string[]} {
  const log: string[] = []
  let left = drainingFor
  let registered = true
  const ids = ['i-1', 'i-2', 'i-3']
  const group: ScalingView = {name: 'hactl-web', desired: 3, min: 3, max: 3, instances: ids.map((instanceId) => ({instanceId, lifecycle: 'InService', health: 'healthy'}))}
  const cloud: Cloud = {
    kind: 'aws',
    hosts: {listProxies: async () => ids.map(proxy)},
    balancer: {
      async describeBalancer(): Promise<BalancerView> {
        const victim = registered ? [{instanceId: 'i-1', state: 'healthy' as const}] : left-- > 0 ? [{instanceId: 'i-1', state: 'draining' as const}] : []
        if (!registered) log.push(victim.length > 0 ? 'draining' : 'gone')
        return {name: 'hactl-web', dnsName: 'lb.example', ports: [80], targets: [...victim, {instanceId: 'i-2', state: 'healthy'}, {instanceId: 'i-3', state: 'healthy'}]}
      },
      registerTargets: async () => {},
      async deregisterTargets(instanceIds) {
        log.push(`deregister ${instanceIds.join(',')}`)
        registered = false
      },
    },
    scaling: {
      describeGroup: async () => group,
      setCount: async () => {},
      async terminateThroughGroup(instanceId, {decrement}) {
        log.push(`terminate ${instanceId}${decrement ? ' decrement' : ''}`)
      },
    },
  }
  return {cloud, log}
}

describe('proxy terminate, topology nlb: draining before the group ends the proxy', function () {
  this.timeout(30_000)

  const cluster = async (delay: string): Promise<Cluster> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-nlb-'))
    return parseCluster(`cluster: web\nprovider: aws\ntopology: nlb\nproxy: {config: ./haproxy.cfg}\nbalancer: {deregistrationDelay: ${delay}}\n`, path.join(dir, 'hactl.yaml'))
  }

  it('waits while the balancer shows the proxy draining, and terminates once it is gone', async () => {
    const {cloud, log} = drainingCloud(2)
    const reporter = new MemoryReporter()
    const report = await terminateProxy({cluster: await cluster('30s'), reporter, cloud, id: 'i-1'})
    expect(report.changed).to.equal(true)
    expect(log).to.deep.equal(['deregister i-1', 'draining', 'draining', 'gone', 'terminate i-1'])
  })

  it('terminates when the deregistration delay is over even if the balancer still shows it draining', async () => {
    const {cloud, log} = drainingCloud(1_000_000)
    const reporter = new MemoryReporter()
    const started = Date.now()
    await terminateProxy({cluster: await cluster('1s'), reporter, cloud, id: 'i-1'})
    expect(Date.now() - started).to.be.lessThan(10_000)
    expect(log[0]).to.equal('deregister i-1')
    expect(log.at(-1)).to.equal('terminate i-1')
    expect(reporter.events.some((e) => e.level === 'warn' && e.message.includes('deregistration delay is over'))).to.equal(true)
  })

  it('--no-drain and --decrement: straight to the group, one proxy fewer; --dry-run: nothing at all', async () => {
    const {cloud, log} = drainingCloud(5)
    await terminateProxy({cluster: await cluster('30s'), reporter: new MemoryReporter(), cloud, id: 'i-1', drain: false, decrement: true})
    expect(log).to.deep.equal(['terminate i-1 decrement'])
    const dry = drainingCloud(5)
    const report = await terminateProxy({cluster: await cluster('30s'), reporter: new MemoryReporter(), cloud: dry.cloud, id: 'i-1', dryRun: true})
    expect(dry.log).to.deep.equal([])
    expect(report.dryRun?.calls).to.deep.equal(['deregister i-1 from the balancer', 'terminate i-1 through the scaling group, which replaces it'])
  })
})
