/**
 * bench/failover's nlb rows: a proxy behind the sandbox's balancer killed
 * with kill -9 while a client in a process of its own (failover-client.mjs)
 * opens a new connection to the balancer every 10 ms. Until the balancer's
 * checks call the proxy unhealthy, the connections it still sends there fail
 * (about one in three); the others are served all along. Figures per kill:
 *
 *   gap     the client's longest time without a success (as the pool rows)
 *   window  kill → the last failed request (the balancer still sent some to the dead proxy)
 *   failed  failed requests of those sent in the window
 *   unhealthy  kill → the balancer's own checks reach unhealthyThreshold
 */
import {spawn} from 'node:child_process'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {setTimeout as delay} from 'node:timers/promises'

import {createLocalProvider} from '../src/cloud/local/provider.js'
import {loadCluster} from '../src/cluster/loader.js'
import {sandboxKill, sandboxRevive} from '../src/sandbox/service.js'
import {ROOT} from '../test/harness/cli.js'
import {median, supervisorEvents, targetAt, upNlbSandbox, type BalancerSetting} from './nlb-sandbox.js'

export interface NlbTrial {
  gap: number
  window: number
  failed: number
  sent: number
  unhealthy?: number
}

interface Probe {
  send: number
  done: number
  result: string
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(20)
  }
}

export async function runNlbFailover(setting: BalancerSetting, octet: number, trials: number, clientTimeout = 200, log = console.log): Promise<NlbTrial[]> {
  const sb = await upNlbSandbox(octet, setting)
  const ip = `${sb.nets.address}.100`
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'failover-client.mjs'), ip, String(sb.ports.proxy), '--every', '10', '--timeout', String(clientTimeout)], {stdio: ['pipe', 'pipe', 'inherit']})
  const probes: Probe[] = []
  createInterface({input: child.stdout}).on('line', (line) => {
    const [send, done, result] = line.split(' ')
    probes.push({send: Number(send), done: Number(done), result})
  })
  try {
    const cluster = await loadCluster(sb.clusterFile)
    const provider = await createLocalProvider(cluster)
    const allHealthy = async (): Promise<boolean> => {
      const view = await provider.describeBalancer()
      return view !== undefined && view.targets.length >= 3 && view.targets.every((t) => t.state === 'healthy')
    }
    const out: NlbTrial[] = []
    for (let n = 1; n <= trials; n++) {
      await until('every target healthy', allHealthy, 10 * setting.interval * setting.healthyThreshold + 30_000)
      await until('20 successes in a row', () => probes.length > 20 && probes.slice(-20).every((p) => p.result === 'ok'), 30_000)
      // A kill at a random phase of the checks: each target was last seen healthy just after one of its checks.
      await delay(1000 + Math.floor(Math.random() * setting.interval))
      const victim = `proxy-${((n - 1) % 3) + 1}`
      const killed = await sandboxKill(cluster, victim)
      const kill = killed.killedAt ?? Date.now()
      let unhealthyAt: number | undefined
      await until(
        `the balancer to call ${victim} unhealthy`,
        () => (unhealthyAt = targetAt(supervisorEvents(sb), killed.id, 'unhealthy', kill - 5)) !== undefined,
        setting.interval * (setting.unhealthyThreshold + 2) + 30_000,
      )
      await delay(clientTimeout + 300)
      const after = probes.filter((p) => p.send >= kill - clientTimeout)
      const failures = after.filter((p) => p.result !== 'ok')
      const lastFail = failures.reduce((m, p) => Math.max(m, p.send), kill)
      const oks = after.filter((p) => p.result === 'ok').sort((a, b) => a.done - b.done)
      let gap = 0
      for (let i = 1; i < oks.length; i++) gap = Math.max(gap, oks[i].done - oks[i - 1].done)
      const sent = after.filter((p) => p.send >= kill && p.send <= lastFail).length
      const trial = {gap, window: lastFail - kill, failed: failures.length, sent, unhealthy: unhealthyAt === undefined ? undefined : unhealthyAt - kill}
      out.push(trial)
      log(`  ${setting.name.padEnd(12)} #${n}: gap ${trial.gap.toFixed(0).padStart(5)} ms; window ${trial.window.toFixed(0).padStart(6)} ms, ${trial.failed} of ${trial.sent} requests failed; unhealthy ${trial.unhealthy ?? '-'} ms after the kill (killed ${victim})`)
      await sandboxRevive(cluster, victim)
    }
    return out
  } finally {
    child.stdin?.end()
    await delay(300)
    if (child.exitCode === null) child.kill('SIGKILL')
    await sb.down()
  }
}

/** One line of the summary table. */
export function nlbSummary(trials: NlbTrial[]): {gap: number; window: number; unhealthy: number; failedShare: number} {
  const unhealthy = trials.flatMap((t) => (t.unhealthy === undefined ? [] : [t.unhealthy]))
  return {
    gap: median(trials.map((t) => t.gap)),
    window: median(trials.map((t) => t.window)),
    unhealthy: unhealthy.length > 0 ? median(unhealthy) : Number.NaN,
    failedShare: trials.reduce((n, t) => n + t.failed, 0) / Math.max(1, trials.reduce((n, t) => n + t.sent, 0)),
  }
}

export function settingText(setting: BalancerSetting): string {
  return `interval ${setting.interval / 1000} s, unhealthy ${setting.unhealthyThreshold}, healthy ${setting.healthyThreshold}`
}
