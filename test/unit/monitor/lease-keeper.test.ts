import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {FileLeaseStore} from '../../../src/monitor/file-lease.js'
import type {LeaseStore} from '../../../src/cloud/lease-store.js'
import {LeaseKeeper} from '../../../src/monitor/lease.js'

describe('lease keeper', () => {
  let now = 0
  const clock = (): number => now
  let store: FileLeaseStore
  beforeEach(async () => {
    now = 100_000
    store = new FileLeaseStore(path.join(await mkdtemp(path.join(tmpdir(), 'hactl-keeper-')), 'l'))
  })

  it('only one of two monitors may act, and the other takes over once the holder stops renewing', async () => {
    const a = new LeaseKeeper(store, 'm', 'a', 10_000, clock)
    const b = new LeaseKeeper(store, 'm', 'b', 10_000, clock)
    expect(await a.refresh()).to.equal(true)
    expect(await b.refresh()).to.equal(false)
    now += 10_001 // a died: no renewal
    expect(await b.refresh()).to.equal(true)
    expect(b.token).to.equal(2)
  })

  it('a holder that cannot renew stops acting before its lease expires', async () => {
    let failing = false
    const flaky: LeaseStore = {
      where: 'flaky',
      init: () => store.init(),
      read: (n) => store.read(n),
      release: (n, h) => store.release(n, h),
      acquire: (...args) => (failing ? Promise.reject(new Error('unreachable')) : store.acquire(...args)),
    }
    const a = new LeaseKeeper(flaky, 'm', 'a', 10_000, clock)
    expect(await a.refresh()).to.equal(true)
    failing = true
    const expiresAt = (await store.read('m'))!.expiresAt
    let lastMayAct = 0
    for (; now < expiresAt + 1000; now += 250) {
      await a.refresh().catch(() => false)
      if (a.mayAct()) lastMayAct = now
    }
    expect(lastMayAct).to.be.greaterThan(100_000)
    // Stopped with room to spare for an action in flight to end before anyone else may start.
    expect(expiresAt - lastMayAct).to.be.at.least(2000)
  })

  it('renews only after a quarter of the ttl, not every round', async () => {
    let calls = 0
    const counting: LeaseStore = {...store, where: 'x', init: () => store.init(), read: (n) => store.read(n), release: (n, h) => store.release(n, h), acquire: (...args) => (calls++, store.acquire(...args))}
    const a = new LeaseKeeper(counting, 'm', 'a', 10_000, clock)
    for (let i = 0; i < 10; i++, now += 500) await a.refresh()
    expect(calls).to.equal(2)
  })
})
