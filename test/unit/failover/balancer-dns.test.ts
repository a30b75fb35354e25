import {expect} from 'chai'

import type {BalancerView} from '../../../src/cloud/capabilities.js'
import type {RecordSet} from '../../../src/cloud/provider.js'
import {planBalancerDns} from '../../../src/failover/dns-planner.js'

const spec = {name: 'www.example.com', ttl: 30}
const nlb: BalancerView = {name: 'hactl-web', dnsName: 'hactl-web-1.us-east-1.elb.amazonaws.com', hostedZoneId: 'Z26RNL4JYFTOTI', ports: [80], targets: []}
const sandbox: BalancerView = {name: 'sandbox', address: '127.0.2.100', ports: [80], targets: []}

describe('DNS planner, topology nlb', () => {
  it('a zone with aliases gets an alias A record to the NLB with its canonical hosted zone', () => {
    const plan = planBalancerDns(undefined, nlb, spec, {aliases: true})
    expect(plan.upsert).to.deep.equal({name: 'www.example.com.', type: 'A', ttl: 30, values: [], alias: {dnsName: nlb.dnsName, hostedZoneId: 'Z26RNL4JYFTOTI'}})
  })

  it('the alias already there (as Route 53 returns it: dualstack., final dot, no TTL) is no drift', () => {
    const live: RecordSet = {name: 'www.example.com.', type: 'A', ttl: 0, values: [], alias: {dnsName: `dualstack.${nlb.dnsName}.`, hostedZoneId: 'Z26RNL4JYFTOTI'}}
    const plan = planBalancerDns(live, nlb, spec, {aliases: true})
    expect(plan.drift).to.equal(false)
    expect(plan.upsert).to.equal(undefined)
  })

  it('a pool A record at the name is drift: the alias replaces it', () => {
    const live: RecordSet = {name: 'www.example.com.', type: 'A', ttl: 30, values: ['198.51.100.1', '198.51.100.2']}
    const plan = planBalancerDns(live, nlb, spec, {aliases: true})
    expect(plan.drift).to.equal(true)
    expect(plan.extra).to.deep.equal(['198.51.100.1', '198.51.100.2'])
    expect(plan.missing).to.deep.equal([`ALIAS ${nlb.dnsName}`])
  })

  it('a balancer with an address gets an A record to it, whatever the zone (the sandbox)', () => {
    expect(planBalancerDns(undefined, sandbox, spec, {}).upsert).to.deep.equal({name: 'www.example.com.', type: 'A', ttl: 30, values: ['127.0.2.100']})
    const live: RecordSet = {name: 'www.example.com.', type: 'A', ttl: 30, values: ['127.0.2.100']}
    expect(planBalancerDns(live, sandbox, spec, {}).drift).to.equal(false)
    expect(planBalancerDns({...live, ttl: 300}, sandbox, spec, {}).drift).to.equal(true)
  })

  it('a zone without aliases gets a CNAME to the NLB where it writes CNAMEs, and nothing (with a note) where it does not', () => {
    expect(planBalancerDns(undefined, nlb, spec, {cnames: true}).upsert).to.deep.equal({name: 'www.example.com.', type: 'CNAME', ttl: 30, values: [nlb.dnsName]})
    const none = planBalancerDns(undefined, nlb, spec, {})
    expect(none.upsert).to.equal(undefined)
    expect(none.notes.join(' ')).to.include('neither aliases nor CNAMEs')
  })

  it('no balancer yet: nothing to publish, and it says to launch', () => {
    const plan = planBalancerDns(undefined, undefined, spec, {aliases: true})
    expect(plan.upsert).to.equal(undefined)
    expect(plan.notes.join(' ')).to.include('hactl proxy launch')
  })
})
