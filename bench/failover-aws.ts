/**
 * API calls and time per EIP failover and per `dns publish`, against a real
 * moto_server (127.0.0.1). Every request is counted at an endpoint in front
 * of moto, so the counts are what the cloud would see.
 *
 * Goal: one failover = one describe round (DescribeInstances,
 * DescribeInstanceStatus, DescribeAddresses) + a holder check + one
 * AssociateAddress per moved EIP + the verify describes; `dns publish` with
 * nothing to change = reads only.
 *
 *   npx tsx bench/failover-aws.ts
 */
import {StopInstancesCommand, StartInstancesCommand} from '@aws-sdk/client-ec2'
import path from 'node:path'

import {loadCluster} from '../src/cluster/loader.js'
import {publishDns} from '../src/services/dns.js'
import {allocateEips, failoverEips, rebalanceEips} from '../src/services/eip.js'
import {launchProxies} from '../src/services/proxy.js'
import {silentReporter} from '../src/events.js'
import {clusterAddresses, clusterDir, clusterInstances, createZone, inspect} from '../test/integration/aws/helpers.js'
import {awsEndpoint} from '../test/harness/aws-endpoint.js'
import {startMoto} from '../test/harness/moto.js'
import {waitFor} from '../test/harness/wait.js'

const ROUNDS = 5

function tally(calls: string[]): string {
  const counts = new Map<string, number>()
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1)
  return [...counts.entries()].map(([c, n]) => `${c}×${n}`).join(', ')
}

const moto = await startMoto()
try {
  Object.assign(process.env, moto.env)
  const counter = await awsEndpoint(moto.endpoint)
  process.env.AWS_ENDPOINT_URL = counter.endpoint
  const {ec2, r53} = inspect(moto)
  // Hold-down and budget off: every round should move; the guards have their own tests.
  const dir = await clusterDir('bench', await createZone(r53), 'failover: {holdDown: 0, maxRemapsPerHour: 1000}\n')
  const cluster = await loadCluster(path.join(dir, 'hactl.yaml'))
  const options = {cluster, reporter: silentReporter}

  await launchProxies({...options, waitTimeoutMs: 60_000})
  await allocateEips(options)
  await rebalanceEips(options)
  await publishDns(options)

  const measure = async <T>(fn: () => Promise<T>): Promise<{ms: number; calls: string[]; result: T}> => {
    counter.calls.length = 0
    const started = performance.now()
    const result = await fn()
    const ms = performance.now() - started
    return {ms, calls: [...counter.calls], result}
  }

  process.stdout.write(`hactl AWS control plane against moto 5 (127.0.0.1), ${ROUNDS} rounds each\n\n`)
  const failovers: {ms: number; calls: number; moved: number; list: string}[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const holders = (await clusterAddresses(ec2, 'bench')).map((a) => a.InstanceId)
    const running = (await clusterInstances(ec2, 'bench', ['running'])).filter((i) => holders.includes(i.InstanceId))
    const victim = running[round % running.length].InstanceId as string
    await ec2.send(new StopInstancesCommand({InstanceIds: [victim]}))
    await waitFor('stopped', async () => (await clusterInstances(ec2, 'bench', ['stopped'])).length === 1)
    const m = await measure(() => failoverEips(options))
    const moved = m.result.results.filter((r) => r.outcome === 'moved').length
    failovers.push({ms: m.ms, calls: m.calls.length, moved, list: tally(m.calls)})
    await ec2.send(new StartInstancesCommand({InstanceIds: [victim]}))
    await waitFor('running again', async () => (await clusterInstances(ec2, 'bench', ['running'])).length === 3)
    await rebalanceEips(options)
  }
  const idle = await measure(() => failoverEips(options))
  const publishSame = await measure(() => publishDns(options))

  for (const [i, f] of failovers.entries()) {
    process.stdout.write(`eip failover #${i + 1}: ${f.moved} EIP moved, ${f.calls} API calls, ${f.ms.toFixed(0)} ms: ${f.list}\n`)
  }
  const avgCalls = failovers.reduce((a, f) => a + f.calls, 0) / failovers.length
  const avgMs = failovers.reduce((a, f) => a + f.ms, 0) / failovers.length
  const moved = failovers.reduce((a, f) => a + f.moved, 0)
  process.stdout.write(`eip failover, nothing to do: ${idle.calls.length} API calls, ${idle.ms.toFixed(0)} ms: ${tally(idle.calls)}\n`)
  process.stdout.write(`dns publish, in sync: ${publishSame.calls.length} API calls (writes: ${publishSame.calls.filter((c) => /POST|ChangeResource/.test(c)).length}), ${publishSame.ms.toFixed(0)} ms: ${tally(publishSame.calls)}\n`)

  // A pool change, then publish: one write (and the INSYNC check when the change is not in sync at once).
  await allocateEips({...options, count: 4})
  const publishChange = await measure(() => publishDns(options))
  process.stdout.write(`dns publish, one address added: ${publishChange.calls.length} API calls, ${publishChange.ms.toFixed(0)} ms: ${tally(publishChange.calls)}\n\n`)

  const goal = 3 + 1 + 1 + 1 // describe round + holder check + associate + one verify describe
  process.stdout.write(`mean per failover of one EIP: ${avgCalls.toFixed(1)} API calls, ${avgMs.toFixed(0)} ms (${moved} EIPs moved in ${ROUNDS} failovers)\n`)
  process.stdout.write(`calls per failover / goal (${goal}): ${(avgCalls / goal).toFixed(2)}\n`)
  process.stdout.write(`failover time / idle failover time: ${(avgMs / idle.ms).toFixed(2)}\n`)
  await counter.close()
} finally {
  await moto.stop()
}
