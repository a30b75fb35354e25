import {expect} from 'chai'
import fc from 'fast-check'

import type {ElasticAddress, RecordSet} from '../../../src/cloud/provider.js'
import {planDns} from '../../../src/failover/dns-planner.js'

const eip = (ip: string, instanceId?: string): ElasticAddress => ({allocationId: `eipalloc-${ip}`, publicIp: ip, instanceId, tags: {}})
const record = (values: string[], ttl = 30): RecordSet => ({name: 'www.example.com.', type: 'A', ttl, values})
const spec = {name: 'www.example.com', ttl: 30}

describe('DNS planner', () => {
  it('plans nothing when the record already lists exactly the pool addresses', () => {
    const plan = planDns(record(['198.51.100.2', '198.51.100.1']), [eip('198.51.100.1'), eip('198.51.100.2')], spec)
    expect(plan.drift).to.equal(false)
    expect(plan.upsert).to.equal(undefined)
  })

  it('plans one UPSERT of the whole pool when an address is missing or extra, or the ttl differs', () => {
    expect(planDns(record(['198.51.100.1']), [eip('198.51.100.1'), eip('198.51.100.2')], spec).upsert?.values).to.deep.equal(['198.51.100.1', '198.51.100.2'])
    const extra = planDns(record(['198.51.100.1', '192.0.2.9']), [eip('198.51.100.1')], spec)
    expect(extra.extra).to.deep.equal(['192.0.2.9'])
    expect(extra.upsert?.values).to.deep.equal(['198.51.100.1'])
    expect(planDns(record(['198.51.100.1'], 300), [eip('198.51.100.1')], spec).upsert?.ttl).to.equal(30)
    expect(planDns(undefined, [eip('198.51.100.1')], spec).upsert?.name).to.equal('www.example.com.')
  })

  it('never publishes an empty set: with no address in the pool it keeps the current record', () => {
    const plan = planDns(record(['198.51.100.1']), [], spec)
    expect(plan.upsert).to.equal(undefined)
    expect(plan.notes.join()).to.include('empty')
  })

  it('property: an UPSERT is never empty and always equals the pool', () => {
    const ip = fc.integer({min: 1, max: 20}).map((n) => `198.51.100.${n}`)
    fc.assert(
      fc.property(fc.option(fc.array(ip)), fc.array(ip), (live, pool) => {
        const plan = planDns(live === null ? undefined : record(live), pool.map((p) => eip(p)), spec)
        if (plan.upsert) {
          expect(plan.upsert.values.length).to.be.greaterThan(0)
          expect(plan.upsert.values).to.deep.equal([...new Set(pool)].sort())
        }
      }),
    )
  })
})
