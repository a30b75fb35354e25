import {expect} from 'chai'

import {createDynamoLeaseStore} from '../../../src/cloud/aws/lease.js'
import type {LeaseStore} from '../../../src/cloud/lease-store.js'
import {leaseContract} from '../../harness/lease-contract.js'
import {sharedMoto, type Moto} from '../../harness/moto.js'

describe('DynamoDB lease store (moto)', function () {
  this.timeout(60_000)
  let moto: Moto
  const saved = {...process.env}
  before(async () => {
    moto = await sharedMoto()
    Object.assign(process.env, moto.env)
  })
  after(async () => {
    process.env = saved
    await moto.stop()
  })
  const store = (): Promise<LeaseStore> => createDynamoLeaseStore('hactl-leases', {region: 'us-east-1', retry: {maxAttempts: 2, maxTotalDelayMs: 500}})

  it('lease init creates the table once and says so the second time', async () => {
    expect(await (await store()).init()).to.deep.equal({created: true})
    expect(await (await store()).init()).to.deep.equal({created: false})
  })

  it('reading a lease from a missing table says to run lease init', async () => {
    const missing = await createDynamoLeaseStore('no-such-table', {region: 'us-east-1', retry: {maxAttempts: 1}})
    const error = await missing.read('x').then(() => undefined, (e: unknown) => e as {exitCode: number; actions: string[]})
    expect(error?.exitCode).to.equal(7)
    expect(error?.actions.join(' ')).to.include('hactl lease init')
  })

  describe('contract', () => {
    leaseContract(store)
  })
})
