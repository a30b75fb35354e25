import {expect} from 'chai'

import type {Health} from '../../../src/failover/planner.js'
import {suspectView, type Suspicion} from '../../../src/failover/suspect.js'

const ids = ['i-1', 'i-2', 'i-3']
const all = (h: Health): Record<string, Health> => Object.fromEntries(ids.map((id) => [id, h]))

describe('suspect view: a monitor that may be cut off', () => {
  it('every running proxy failing (fall reached) is suspect, with one message naming the monitor', () => {
    const {suspicion} = suspectView({probes: {'i-1': false, 'i-2': false, 'i-3': false}, before: all('healthy'), after: all('unhealthy'), now: 1000, confirmMs: 60_000})
    expect(suspicion?.kind).to.equal('all')
    expect(suspicion?.message).to.include('the monitor may be cut off: 3 of 3 proxies unreachable from here')
  })

  it('one proxy failing is a plain failure, not a suspect view', () => {
    const after = {...all('healthy'), 'i-1': 'unhealthy' as Health}
    expect(suspectView({probes: {'i-1': false, 'i-2': true, 'i-3': true}, before: all('healthy'), after, now: 1000, confirmMs: 60_000})).to.deep.equal({})
  })

  it('more than half turning unhealthy at once is doubted for the confirm time, then believed', () => {
    const probes = {'i-1': false, 'i-2': false, 'i-3': true}
    const after: Record<string, Health> = {'i-1': 'unhealthy', 'i-2': 'unhealthy', 'i-3': 'healthy'}
    const first = suspectView({probes, before: all('healthy'), after, now: 1000, confirmMs: 60_000}).suspicion as Suspicion
    expect(first).to.deep.include({kind: 'flip', since: 1000, proxies: ['i-1', 'i-2']})
    expect(first.message).to.include('2 of 3 proxies unreachable from here')
    const still = suspectView({probes, before: after, after, previous: first, now: 30_000, confirmMs: 60_000})
    expect(still.suspicion?.since).to.equal(1000)
    const believed = suspectView({probes, before: after, after, previous: first, now: 61_000, confirmMs: 60_000})
    expect(believed.suspicion).to.equal(undefined)
    expect(believed.believed).to.include('still unreachable')
  })

  it('with no hold-down a mass flip is not doubted (nothing to wait for)', () => {
    const after: Record<string, Health> = {'i-1': 'unhealthy', 'i-2': 'unhealthy', 'i-3': 'healthy'}
    expect(suspectView({probes: {'i-1': false, 'i-2': false, 'i-3': true}, before: all('healthy'), after, now: 1000, confirmMs: 0})).to.deep.equal({})
  })

  it('a doubted flip ends at once when the proxies answer again', () => {
    const previous: Suspicion = {kind: 'flip', since: 1000, proxies: ['i-1', 'i-2'], message: 'x'}
    expect(suspectView({probes: {'i-1': true, 'i-2': true, 'i-3': true}, before: all('unhealthy'), after: all('unhealthy'), previous, now: 2000, confirmMs: 60_000}).suspicion).to.equal(undefined)
  })

  it('proxies the cloud reports stopped are not counted as unreachable', () => {
    const probes = {'i-1': false, 'i-2': true}
    const after: Record<string, Health> = {'i-1': 'unhealthy', 'i-2': 'healthy', 'i-3': 'unhealthy'}
    expect(suspectView({probes, before: all('healthy'), after, now: 1000, confirmMs: 60_000})).to.deep.equal({})
  })
})
