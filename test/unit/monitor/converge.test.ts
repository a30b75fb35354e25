import {expect} from 'chai'

import type {ProxyInstance} from '../../../src/cloud/provider.js'
import {ConvergeWorker, dueProxies, emptyConvergeState, recordConverge, unpushedProxies, type ConvergeCheck} from '../../../src/monitor/converge.js'
import {MemoryReporter} from '../../../src/events.js'

const proxy = (id: string, state: ProxyInstance['state'] = 'running'): ProxyInstance => ({id, zone: 'z', state, tags: {}})
const check = (id: string, outcome: ConvergeCheck['outcome'], more: Partial<ConvergeCheck> = {}): ConvergeCheck => ({
  id,
  host: id,
  outcome,
  neverPushed: false,
  status: outcome === 'in-sync' || outcome === 'pushed' ? 'in-sync' : 'drift',
  summary: '+1 -1 lines',
  diff: '-a\n+b\n',
  ...more,
})

describe('monitor converge step', () => {
  const all = [proxy('i-a'), proxy('i-b'), proxy('i-off', 'stopped')]

  it('compares every running proxy when the interval is up, else only proxies it never compared or could not push to yet', () => {
    expect(dueProxies(all, emptyConvergeState(), 1000, 60_000).proxies.map((p) => p.id)).to.deep.equal(['i-a', 'i-b'])
    const seen = {...emptyConvergeState(), checkedAt: 1000, seen: ['i-a']}
    expect(dueProxies(all, seen, 2000, 60_000)).to.deep.include({full: false})
    expect(dueProxies(all, seen, 2000, 60_000).proxies.map((p) => p.id)).to.deep.equal(['i-b'])
    expect(dueProxies(all, seen, 61_000, 60_000).proxies.map((p) => p.id)).to.deep.equal(['i-a', 'i-b'])
    const failedPush = {...seen, seen: ['i-a', 'i-b'], unpushed: ['i-b']}
    expect(dueProxies(all, failedPush, 2000, 60_000).proxies.map((p) => p.id)).to.deep.equal(['i-b'])
  })

  it('reports drift once, again only when it changes, and once when it is gone', () => {
    const at = (now: number) => ({now, full: true, mode: 'new' as const})
    const one = recordConverge(emptyConvergeState(), [check('i-a', 'drift')], all, at(1))
    expect(one.events.map((e) => e.code)).to.deep.equal(['converge.drift'])
    expect(one.state.drift['i-a']).to.include({summary: '+1 -1 lines', since: 1})
    const same = recordConverge(one.state, [check('i-a', 'drift')], all, at(2))
    expect(same.events).to.deep.equal([])
    expect(same.state.drift['i-a'].since).to.equal(1)
    const changed = recordConverge(same.state, [check('i-a', 'drift', {diff: '-a\n+c\n'})], all, at(3))
    expect(changed.events.map((e) => e.code)).to.deep.equal(['converge.drift'])
    const gone = recordConverge(changed.state, [check('i-a', 'in-sync')], all, at(4))
    expect(gone.events.map((e) => e.code)).to.deep.equal(['converge.resolved'])
    expect(gone.state.drift).to.deep.equal({})
  })

  it('a never-pushed proxy stays out of the planner\'s targets until its push succeeds; an unreachable one keeps what was known', () => {
    const at = {now: 1, full: true, mode: 'new' as const}
    const failed = recordConverge(emptyConvergeState(), [check('i-a', 'failed', {neverPushed: true, message: 'push failed'})], all, at)
    expect(failed.state.unpushed).to.deep.equal(['i-a'])
    const unreachable = recordConverge(failed.state, [check('i-a', 'failed', {status: 'unreachable'})], all, at)
    expect(unreachable.state.unpushed).to.deep.equal(['i-a'])
    const pushed = recordConverge(unreachable.state, [check('i-a', 'pushed', {neverPushed: true})], all, at)
    expect(pushed.state.unpushed).to.deep.equal([])
    expect(pushed.events.map((e) => e.code)).to.deep.equal(['converge.pushed'])
  })

  it('a proxy that appears after the first comparison gets no address before it is compared; the first population is trusted', () => {
    const first = recordConverge(emptyConvergeState(), [check('i-a', 'failed', {status: 'unreachable'})], all, {now: 1, full: true, mode: 'new', population: ['i-a', 'i-b']})
    expect(unpushedProxies(first.state, all)).to.deep.equal([])
    const grown = [...all, proxy('i-new')]
    expect(unpushedProxies(first.state, grown)).to.deep.equal(['i-new'])
    expect(unpushedProxies(emptyConvergeState(), grown)).to.deep.equal([])
  })

  it('runs comparisons in the background: a round takes the last result and never waits for a push', async () => {
    let release: (value: ConvergeCheck[]) => void = () => {}
    const calls: string[][] = []
    const worker = new ConvergeWorker({mode: 'new', intervalMs: 60_000}, async (proxies) => {
      calls.push(proxies.map((p) => p.id))
      return new Promise<ConvergeCheck[]>((resolve) => (release = resolve))
    })
    const reporter = new MemoryReporter()
    const r1 = await worker.step(all, undefined, 1000, reporter)
    expect(r1.state.checkedAt).to.equal(undefined)
    const r2 = await worker.step(all, r1.state, 1500, reporter)
    expect(calls).to.have.length(1)
    release([check('i-a', 'drift'), check('i-b', 'in-sync')])
    await worker.settle()
    const r3 = await worker.step(all, r2.state, 2000, reporter)
    expect(r3.state.checkedAt).to.equal(1000)
    expect(Object.keys(r3.state.drift)).to.deep.equal(['i-a'])
    expect(reporter.events.map((e) => e.code)).to.deep.equal(['converge.drift'])
    expect(calls).to.have.length(1)
  })
})
