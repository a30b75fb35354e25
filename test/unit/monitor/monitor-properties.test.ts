import {expect} from 'chai'
import fc from 'fast-check'

import {HOUR_MS} from '../../../src/failover/planner.js'
import type {ActionRunner} from '../../../src/monitor/actions.js'
import {FakeProvider} from '../../harness/fake-provider.js'
import {providerRunner, SETTINGS, World} from '../../harness/monitor-world.js'

type Change = {proxy: number; to: 'running' | 'sick' | 'stopped' | 'well'}

/** Drive the monitor through a history of proxy changes and check what it did after every round. */
async function replay(proxies: number, history: {changes: Change[]; stepMs: number}[], budget: number, holdDownMs: number): Promise<{remaps: number[]; world: World}> {
  const provider = FakeProvider.pool(proxies)
  const world = new World(provider, {...SETTINGS, maxRemapsPerHour: budget, holdDownMs})
  const remaps: number[] = []
  const wrongTargets: string[] = []
  const checked: ActionRunner = async (actions, current, reporter) => {
    for (const action of actions) {
      const target = provider.proxies.find((p) => p.id === action.to)
      // Never to a proxy the cloud says is down, or whose latest check failed, at the moment of acting.
      if (target?.state !== 'running' || target.statusOk !== true) wrongTargets.push(`${action.to} (${target?.state}, status ${target?.statusOk})`)
      remaps.push(world.now)
    }
    return providerRunner(provider)(actions, current, reporter)
  }
  for (const {changes, stepMs} of history) {
    for (const c of changes) {
      const id = `i-${c.proxy}`
      if (c.to === 'sick' || c.to === 'well') provider.sick(id, c.to === 'sick')
      else provider.set(id, c.to)
    }
    await roundWith(world, checked, stepMs)
    const published = provider.records.get('www.example.test.')
    if (published) expect(published.values, 'DNS is never emptied').to.not.have.length(0)
  }
  expect(wrongTargets, 'moves to proxies that were down').to.deep.equal([])
  return {remaps, world}
}

async function roundWith(world: World, run: ActionRunner, stepMs: number): Promise<void> {
  const {runRound} = await import('../../../src/monitor/round.js')
  const {ec2Judge} = await import('../../../src/health/judge.js')
  world.now += stepMs
  const result = await runRound(world.state, `r${++world.rounds}`, world.settings, {provider: world.provider, dns: world.provider, judge: ec2Judge, run, reporter: world.reporter, clock: () => world.now})
  world.state = result.state
}

function maxInAnyHour(times: number[]): number {
  let best = 0
  for (let i = 0; i < times.length; i++) best = Math.max(best, times.filter((t) => t >= times[i] && t - times[i] < HOUR_MS).length)
  return best
}

describe('monitor properties over random histories', () => {
  it('never exceeds the budget in any hour, never targets a down proxy, never empties DNS', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({min: 2, max: 6}),
        fc.integer({min: 0, max: 4}),
        fc.integer({min: 0, max: 120_000}),
        fc.array(
          fc.record({
            changes: fc.array(fc.record({proxy: fc.integer({min: 1, max: 6}), to: fc.constantFrom('running', 'sick', 'stopped', 'well')}), {maxLength: 3}),
            stepMs: fc.integer({min: 100, max: 600_000}),
          }),
          {minLength: 1, maxLength: 40},
        ),
        async (proxies, budget, holdDownMs, raw) => {
          const history = raw.map((h) => ({...h, changes: h.changes.filter((c) => c.proxy <= proxies) as Change[]}))
          const {remaps} = await replay(proxies, history, budget, holdDownMs)
          expect(maxInAnyHour(remaps)).to.be.at.most(budget)
        },
      ),
      {numRuns: 150},
    )
  })

  it('a proxy that flaps every round is damped by fall: no remap at all', async () => {
    const flapping = Array.from({length: 100}, (_, i) => ({changes: [{proxy: 1, to: i % 2 === 0 ? 'sick' : 'well'} as Change], stepMs: 1000}))
    const {remaps} = await replay(3, flapping, 4, 0)
    expect(remaps).to.deep.equal([])
  })

  it('proxies that go down and up past rise and fall cause no more remaps than the budget, then alerts', async () => {
    // Down for two rounds, up for two, for ten minutes; two proxies out of step.
    const phase = (i: number, shift: number): 'sick' | 'well' => ((i + shift) % 4 < 2 ? 'sick' : 'well')
    const flapping = Array.from({length: 600}, (_, i) => ({changes: [{proxy: 1, to: phase(i, 0)} as Change, {proxy: 2, to: phase(i, 2)} as Change], stepMs: 1000}))
    const {remaps, world} = await replay(3, flapping, 4, 0)
    expect(remaps).to.have.length(4)
    expect(world.codes('failover.alert').join('\n')).to.include('remap budget spent')
  })
})
