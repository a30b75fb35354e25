#!/usr/bin/env -S npx tsx
/**
 * bench/heal, topology nlb: how long the sandbox takes from the permanent
 * loss of a proxy (terminated) to full capacity again, a replacement passing
 * the balancer's own checks. Split by the supervisor's events:
 *
 *   terminated → detection (the scaling group starts a launch)
 *              → launch (the replacement's haproxy runs and is registered with the balancer)
 *              → health rise (the balancer calls it healthy: healthyThreshold checks in a row)
 *
 * There is no separate config push in the sandbox: a launched proxy starts
 * with the source config (as cloud-init installs it on EC2), inside launch.
 *
 *   npx tsx bench/heal-nlb.ts [--trials 7] [--setting sandbox|nlb-defaults|nlb-fast]
 *
 * Needs `npm run build`. `sandbox` is the generated cluster file's balancer
 * (checks every second, healthy after 2).
 */
import {loadavg} from 'node:os'
import {pathToFileURL} from 'node:url'
import {setTimeout as delay} from 'node:timers/promises'

import {createLocalProvider} from '../src/cloud/local/provider.js'
import {loadCluster} from '../src/cluster/loader.js'
import {upSandbox, type TestSandbox} from '../test/harness/sandbox.js'
import {median, NLB_SETTINGS, supervisorEvents, upNlbSandbox, type BalancerSetting} from './nlb-sandbox.js'

export interface HealTrial {
  /** ms from the termination to the replacement passing the balancer's checks */
  total: number
  detection: number
  launch: number
  /** 0 in the sandbox: the launched proxy already has the source config. */
  push: number
  rise: number
}

export interface HealNlbResult {
  setting: string
  trials: HealTrial[]
  median: HealTrial
}

const HEAL_OCTET = 65

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(10)
  }
}

/** Terminate one proxy per trial (through the provider, as `proxy terminate` does) and time its replacement. */
export async function healNlb(options: {trials?: number; setting?: BalancerSetting; octet?: number; log?: (line: string) => void} = {}): Promise<HealNlbResult> {
  const trials = options.trials ?? 7
  const log = options.log ?? console.log
  const sb: TestSandbox = options.setting ? await upNlbSandbox(options.octet ?? HEAL_OCTET, options.setting) : await upSandbox(options.octet ?? HEAL_OCTET, {extra: ['--topology', 'nlb']})
  if (sb.up.code !== 0) throw new Error(`sandbox up failed: ${sb.up.stderr}`)
  try {
    const cluster = await loadCluster(sb.clusterFile)
    const provider = await createLocalProvider(cluster)
    const rise = (options.setting?.interval ?? cluster.spec.balancer.interval) * (options.setting?.healthyThreshold ?? cluster.spec.balancer.healthyThreshold)
    const out: HealTrial[] = []
    for (let n = 1; n <= trials; n++) {
      const healthy = async (): Promise<string[] | undefined> => {
        const [view, proxies] = await Promise.all([provider.describeBalancer(), provider.listProxies()])
        const ok = view?.targets.filter((t) => t.state === 'healthy').map((t) => t.instanceId) ?? []
        return proxies.length === 3 && proxies.every((p) => ok.includes(p.id)) ? proxies.map((p) => p.id) : undefined
      }
      const before = await until('every proxy a healthy target', healthy, 10 * rise + 30_000)
      await delay(500 + Math.floor(Math.random() * 1000))
      const victim = before[(n - 1) % before.length]
      const terminated = Date.now()
      await provider.terminateProxy(victim)
      const replacement = await until(
        'a replacement',
        async () => (await provider.listProxies()).find((p) => !before.includes(p.id))?.id,
        60_000,
      )
      const events = await until(
        'the replacement to pass the balancer checks',
        () => {
          const all = supervisorEvents(sb)
          const healthyAt = all.find((e) => e.code === 'sandbox.balancer.target' && e.data?.instanceId === replacement && e.data?.state === 'healthy')?.at
          return healthyAt === undefined ? undefined : {all, healthyAt}
        },
        10 * rise + 30_000,
      )
      const launchAt = events.all.find((e) => e.code === 'sandbox.scaling.launch' && e.at >= terminated)?.at ?? Number.NaN
      const joinedAt = events.all.find((e) => e.code === 'sandbox.scaling.join' && e.data?.instanceId === replacement)?.at ?? Number.NaN
      const trial = {total: events.healthyAt - terminated, detection: launchAt - terminated, launch: joinedAt - launchAt, push: 0, rise: events.healthyAt - joinedAt}
      out.push(trial)
      log(`  #${n}: ${trial.total} ms = detection ${trial.detection} + launch ${trial.launch} + config push ${trial.push} + health rise ${trial.rise}`)
    }
    const pick = (f: (t: HealTrial) => number): number => median(out.map(f))
    return {
      setting: options.setting?.name ?? 'sandbox',
      trials: out,
      median: {total: pick((t) => t.total), detection: pick((t) => t.detection), launch: pick((t) => t.launch), push: 0, rise: pick((t) => t.rise)},
    }
  } finally {
    await sb.down()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
  const trials = Math.max(5, Number(option('--trials')) || 7)
  const name = option('--setting') ?? 'sandbox'
  const setting = NLB_SETTINGS.find((s) => s.name === name)
  if (name !== 'sandbox' && !setting) {
    console.error(`--setting: one of sandbox, ${NLB_SETTINGS.map((s) => s.name).join(', ')}`)
    process.exit(2)
  }
  const load = (): string => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`
  console.log(`heal, topology nlb on the sandbox (${name} balancer settings): a proxy terminated → a replacement passing the balancer's checks; ${trials} trials; ${load()}`)
  const result = await healNlb({trials, ...(setting ? {setting} : {})})
  const m = result.median
  console.log(`median ${m.total} ms = detection ${m.detection} + launch ${m.launch} + config push ${m.push} + health rise ${m.rise} (medians of each phase: ${m.detection + m.launch + m.rise} ms summed); goal ≤ 10000 ms: ${m.total <= 10_000 ? 'met' : 'NOT met'}; ${load()}`)
  process.exit(0)
}
