// Observe + plan for 50 proxies and 50 EIPs on an in-memory provider (no
// actions: a healthy pool), and a round that moves 5 addresses.
// Goal: < 20 ms per observe+plan round. Run: npx tsx bench/monitor-round.ts
import {ec2Judge} from '../src/health/judge.js'
import {runRound} from '../src/monitor/round.js'
import {emptyState} from '../src/monitor/state.js'
import {silentReporter} from '../src/events.js'
import {FakeProvider} from '../test/harness/fake-provider.js'
import {providerRunner, SETTINGS} from '../test/harness/monitor-world.js'

const N = 50
const ROUNDS = 500
const provider = FakeProvider.pool(N)
const settings = {...SETTINGS, dns: undefined}
let state = emptyState()
let now = 1_000_000
const deps = {provider, judge: ec2Judge, run: providerRunner(provider), reporter: silentReporter, clock: () => now}

const timeRounds = async (count: number): Promise<number[]> => {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    now += 1000
    const started = performance.now()
    state = (await runRound(state, `r${i}`, settings, deps)).state
    times.push(performance.now() - started)
  }
  return times
}

await timeRounds(50) // warm-up
const steady = (await timeRounds(ROUNDS)).sort((a, b) => a - b)
for (let i = 1; i <= 5; i++) provider.sick(`i-${i}`)
const failover = await timeRounds(2)
const pct = (xs: number[], p: number): string => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))].toFixed(3)
const out = (label: string, value: string): void => void process.stdout.write(`${label.padEnd(48)}${value}\n`)
out(`observe+plan, ${N} proxies / ${N} EIPs, ${ROUNDS} rounds:`, `median ${pct(steady, 50)} ms, p99 ${pct(steady, 99)} ms, max ${steady.at(-1)?.toFixed(3)} ms`)
out('round that moves 5 addresses (fall reached):', `${failover[1].toFixed(3)} ms`)
out('goal < 20 ms per round:', `${Number(pct(steady, 99)) < 20 ? 'met' : 'MISSED'} (p99 is ${(Number(pct(steady, 99)) / 20).toFixed(3)} of budget)`)
out('moved:', `${provider.addresses.filter((a) => ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'].every((id) => id !== a.instanceId)).length}/${N} addresses on healthy proxies`)
