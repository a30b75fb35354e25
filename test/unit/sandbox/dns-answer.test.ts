import {expect} from 'chai'
import type {Packet} from 'dns-packet'

import {answerQuery, type ZoneData} from '../../../src/sandbox/dns-answer.js'

const zone: ZoneData = {
  origin: 'sandbox.test.',
  serial: 7,
  nsAddress: '127.0.0.1',
  negativeTtl: 5,
  records: [{name: 'www.sandbox.test.', type: 'A', ttl: 5, values: ['127.0.2.1', '127.0.2.2', '127.0.2.3']}],
}

function ask(name: string, type: string, flags = 1 << 8): Packet {
  return answerQuery({type: 'query', id: 42, flags, questions: [{name, type: type as 'A', class: 'IN'}]}, zone)
}

const rcode = (p: Packet): number => (p.flags ?? 0) & 0xf
const authoritative = (p: Packet): boolean => Boolean((p.flags ?? 0) & (1 << 10))

describe('the sandbox DNS server', () => {
  it('answers the round-robin set with every Elastic IP, authoritatively', () => {
    const reply = ask('www.sandbox.test', 'A')
    expect(rcode(reply)).to.equal(0)
    expect(authoritative(reply)).to.equal(true)
    expect(reply.id).to.equal(42)
    expect(reply.answers?.map((a) => (a as {data: string}).data)).to.deep.equal(['127.0.2.1', '127.0.2.2', '127.0.2.3'])
  })

  it('matches names without regard to case or the final dot', () => {
    expect(ask('WWW.Sandbox.Test.', 'A').answers).to.have.length(3)
  })

  it('says NXDOMAIN with the SOA for a name that does not exist', () => {
    const reply = ask('nope.sandbox.test', 'A')
    expect(rcode(reply)).to.equal(3)
    expect(reply.answers).to.have.length(0)
    expect(reply.authorities?.[0]).to.include({type: 'SOA', name: 'sandbox.test'})
    expect((reply.authorities?.[0] as {data: {serial: number}}).data.serial).to.equal(7)
  })

  it('says NODATA (no error, no answer, SOA) for a type the name does not have', () => {
    const reply = ask('www.sandbox.test', 'AAAA')
    expect(rcode(reply)).to.equal(0)
    expect(reply.answers).to.have.length(0)
    expect(reply.authorities?.[0]).to.include({type: 'SOA'})
  })

  it('answers SOA and NS at the apex, and the name server address', () => {
    expect(ask('sandbox.test', 'SOA').answers?.[0]).to.include({type: 'SOA'})
    expect(ask('sandbox.test', 'NS').answers?.[0]).to.include({type: 'NS', data: 'ns.sandbox.test'})
    expect(ask('ns.sandbox.test', 'A').answers?.[0]).to.include({data: '127.0.0.1'})
  })

  it('treats a parent of a record as an existing empty name, not NXDOMAIN', () => {
    const deep: ZoneData = {...zone, records: [{name: 'www.eu.sandbox.test.', type: 'A', ttl: 5, values: ['127.0.2.9']}]}
    const reply = answerQuery({type: 'query', id: 1, questions: [{name: 'eu.sandbox.test', type: 'A', class: 'IN'}]}, deep)
    expect(rcode(reply)).to.equal(0)
    expect(reply.answers).to.have.length(0)
  })

  it('refuses names outside its zone instead of pretending they do not exist', () => {
    const reply = ask('www.example.com', 'A')
    expect(rcode(reply)).to.equal(5)
    expect(authoritative(reply)).to.equal(false)
  })

  it('keeps the recursion-desired bit of the question', () => {
    expect((ask('www.sandbox.test', 'A').flags ?? 0) & (1 << 8)).to.not.equal(0)
    expect((ask('www.sandbox.test', 'A', 0).flags ?? 0) & (1 << 8)).to.equal(0)
  })
})
