import {expect} from 'chai'

import type {LeaseStore} from '../../src/cloud/lease-store.js'

/** What every LeaseStore must do; run against the file store and against DynamoDB in moto. */
export function leaseContract(make: () => Promise<LeaseStore>): void {
  let store: LeaseStore
  let name: string
  let n = 0
  beforeEach(async () => {
    store = await make()
    name = `monitor/c${++n}-${Date.now()}`
  })

  it('a free lease is taken with token 1 and read back', async () => {
    const lease = await store.acquire(name, 'a', 1000, 10_000)
    expect(lease).to.deep.equal({name, holder: 'a', token: 1, expiresAt: 11_000})
    expect(await store.read(name)).to.deep.equal(lease)
  })

  it('another holder cannot take an unexpired lease', async () => {
    await store.acquire(name, 'a', 1000, 10_000)
    expect(await store.acquire(name, 'b', 1000, 10_500)).to.equal(undefined)
    expect((await store.read(name))?.holder).to.equal('a')
  })

  it('the holder renews with the same token and a later expiry', async () => {
    await store.acquire(name, 'a', 1000, 10_000)
    expect(await store.acquire(name, 'a', 1000, 10_800)).to.deep.include({holder: 'a', token: 1, expiresAt: 11_800})
  })

  it('an expired lease goes to the next holder with a larger token', async () => {
    await store.acquire(name, 'a', 1000, 10_000)
    expect(await store.acquire(name, 'b', 1000, 11_001)).to.deep.include({holder: 'b', token: 2})
    expect(await store.acquire(name, 'a', 1000, 11_002)).to.equal(undefined)
  })

  it('a released lease is free at once and the token still grows', async () => {
    await store.acquire(name, 'a', 60_000, 10_000)
    await store.release(name, 'b')
    expect(await store.acquire(name, 'b', 1000, 10_001)).to.equal(undefined)
    await store.release(name, 'a')
    expect(await store.acquire(name, 'b', 1000, 10_002)).to.deep.include({holder: 'b', token: 2})
  })

  it('of many racing for a free lease, exactly one wins', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((h) => store.acquire(name, h, 5000, 20_000)))
    expect(results.filter(Boolean)).to.have.length(1)
  })
}
