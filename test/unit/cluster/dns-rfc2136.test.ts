import {expect} from 'chai'

import {rfc2136DnsSchema} from '../../../src/cluster/dns-rfc2136.js'

const base = {provider: 'rfc2136', server: '192.0.2.53', zone: 'example.com.', name: 'www.example.com.', tsig: {keyName: 'hactl', secretEnv: 'HACTL_TSIG'}}

const messages = (input: unknown): string[] => {
  const result = rfc2136DnsSchema.safeParse(input)
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('the rfc2136 dns: section', () => {
  it('fills the defaults: port 53, ttl 30, hmac-sha256, 2 s per send, 3 tries', () => {
    expect(rfc2136DnsSchema.parse(base)).to.deep.equal({
      ...base,
      port: 53,
      ttl: 30,
      timeout: 2000,
      tries: 3,
      tsig: {keyName: 'hactl', algorithm: 'hmac-sha256', secretEnv: 'HACTL_TSIG'},
    })
  })

  it('refuses an inline secret with a message that says where it goes, and does not repeat it', () => {
    const found = messages({...base, tsig: {...base.tsig, secret: 'c2VjcmV0LXZhbHVl'}})
    expect(found).to.deep.equal(['tsig.secret: the TSIG secret is not written in the cluster file: put it in a file (tsig.secretFile) or an environment variable (tsig.secretEnv)'])
    expect(found.join()).not.to.contain('c2VjcmV0LXZhbHVl')
  })

  it('wants exactly one of secretFile and secretEnv', () => {
    expect(messages({...base, tsig: {keyName: 'hactl'}})).to.deep.equal(['tsig: set exactly one of tsig.secretFile and tsig.secretEnv'])
    expect(messages({...base, tsig: {keyName: 'hactl', secretEnv: 'A', secretFile: 'k'}})).to.have.length(1)
  })

  it('refuses a name outside the zone, an unknown algorithm and a bad duration', () => {
    expect(messages({...base, name: 'www.example.org.'})).to.deep.equal(['name: www.example.org. is not inside the zone example.com.'])
    expect(messages({...base, tsig: {...base.tsig, algorithm: 'hmac-md5'}})[0]).to.match(/^tsig.algorithm:/)
    expect(messages({...base, timeout: 'soon'})[0]).to.match(/^timeout: "soon" is not a duration/)
  })
})
