import {expect} from 'chai'

import {dnsProviderOf} from '../../../src/cluster/dns.js'
import {parseCluster} from '../../../src/cluster/loader.js'
import {ConfigErrors} from '../../../src/errors.js'

function problems(text: string): string[] {
  try {
    parseCluster(text, 'broken.yaml')
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigErrors)
    return (error as ConfigErrors).problems.map((p) => p.located)
  }
  throw new Error('expected the cluster file to be rejected')
}

const minimal = 'cluster: web\nproxy:\n  config: ./haproxy.cfg\n'

describe('cluster file', () => {
  it('fills the defaults of DESIGN.md for a minimal file', () => {
    const {spec} = parseCluster(minimal, '/srv/hactl.yaml')
    expect(spec.provider).to.equal('local')
    expect(spec.topology).to.equal('pool')
    expect(spec.proxy.engine).to.equal('haproxy')
    expect(spec.proxy.config).to.equal('/srv/haproxy.cfg')
    expect(spec.failover.holdDown).to.equal(60_000)
    expect(spec.failover.maxRemapsPerHour).to.equal(10)
    expect(spec.health.proxy).to.include({interval: 1000, timeout: 500, rise: 2, fall: 2})
  })

  it('reads durations written as 500ms, 2s, 1m and 1h', () => {
    const {spec} = parseCluster(
      `${minimal}health:\n  proxy: { interval: 500ms, timeout: 200ms }\nfailover: { holdDown: 1m, lease: { table: t, ttl: 1h } }\n`,
      'c.yaml',
    )
    expect(spec.health.proxy.interval).to.equal(500)
    expect(spec.health.proxy.timeout).to.equal(200)
    expect(spec.failover.holdDown).to.equal(60_000)
    expect(spec.failover.lease?.ttl).to.equal(3_600_000)
  })

  it('names the line and column of a YAML syntax error', () => {
    expect(problems('cluster: web\nproxy: [\n  config: x\n')[0]).to.match(/^broken\.yaml:\d+:\d+: /)
  })

  it('names the line of a value of the wrong type', () => {
    expect(problems(`${minimal}addresses:\n  count: three\n`)).to.deep.equal(['broken.yaml:5:10: addresses.count: expected number'])
  })

  it('names the line of an unknown key and lists the keys allowed there', () => {
    try {
      parseCluster(`${minimal}  relaod: systemctl reload haproxy\n`, 'broken.yaml')
      expect.fail('accepted an unknown key')
    } catch (error) {
      const [problem] = (error as ConfigErrors).problems
      expect(problem.located).to.equal('broken.yaml:4:3: unknown key "proxy.relaod"')
      expect(problem.actions.join(' ')).to.include('reload')
    }
  })

  it('names the line of the section that misses a required key', () => {
    expect(problems('cluster: web\nproxy:\n  engine: haproxy\n')).to.deep.equal(['broken.yaml:3:3: missing required key "proxy.config"'])
  })

  it('names the line of a bad duration and says how to write one', () => {
    const [problem] = problems(`${minimal}failover:\n  holdDown: 60 seconds\n`)
    expect(problem).to.equal('broken.yaml:5:13: failover.holdDown: "60 seconds" is not a duration: write it like 500ms, 2s, 1m or 1h')
  })

  it('reports every problem at once, not only the first', () => {
    expect(problems('cluster: Web!\nprovider: gcp\nproxy:\n  config: x\n')).to.have.length(2)
  })

  it('takes dns.multivalue only where the record lives in Route 53', () => {
    expect(parseCluster(`${minimal}provider: aws\ndns: { zone: a., name: www.a., multivalue: true }\n`, 'ok.yaml').spec.dns).to.include({multivalue: true})
    expect(problems(`${minimal}dns: { zone: a., name: www.a., multivalue: true }\n`)[0]).to.match(/broken\.yaml:4:\d+: multivalue-answer records are a Route 53 feature: remove dns\.multivalue, or set dns\.provider: route53 \(the DNS provider is local\)/)
  })

  it('dns.provider: names the line of an unknown one and says which exist', () => {
    expect(problems(`${minimal}provider: aws\ndns:\n  provider: powerdns\n  zone: a.\n  name: www.a.\n`)).to.deep.equal(['broken.yaml:6:13: dns.provider: must be one of route53, rfc2136, local'])
  })

  it('dns.provider: is chosen apart from provider:, with the defaults route53 on aws, local in the sandbox, none on static', () => {
    const hosts = 'hosts: [{name: lb1, address: 192.0.2.1}]\n'
    const dns = (text: string): unknown => {
      const {spec} = parseCluster(`${minimal}${text}`, 'ok.yaml')
      return dnsProviderOf(spec)
    }
    expect(dns('provider: aws\ndns: {zone: a., name: www.a.}\n')).to.equal('route53')
    expect(dns('dns: {zone: a., name: www.a.}\n')).to.equal('local')
    expect(dns(`provider: static\n${hosts}dns: {zone: a., name: www.a.}\n`)).to.equal(undefined)
    expect(dns(`provider: static\n${hosts}dns: {provider: route53, zone: a., name: www.a.}\n`)).to.equal('route53')
    expect(dns('provider: aws\ndns: {provider: rfc2136, server: 192.0.2.53, zone: a., name: www.a., tsig: {keyName: k, secretEnv: K}}\n')).to.equal('rfc2136')
  })

  it('dns.provider: an unknown key is answered with the keys of the provider the file chose', () => {
    const keys = (dns: string): string => {
      try {
        parseCluster(`${minimal}provider: aws\ndns: ${dns}\n`, 'f.yaml')
      } catch (error) {
        return (error as ConfigErrors).problems.map((p) => `${p.located} ${(p.actions ?? []).join(' ')}`).join('\n')
      }
      return ''
    }
    expect(keys('{zone: a., name: w.a., bogus: 1}')).to.match(/unknown key "dns\.bogus" Keys allowed here: provider, zone, name, ttl, hostedZoneId, multivalue\.$/)
    const rfc = '{provider: rfc2136, server: s, zone: a., name: w.a., tsig: {keyName: k, secretEnv: K'
    expect(keys(`${rfc}}, bogus: 1}`)).to.match(/Keys allowed here: provider, server, port, zone, name, ttl, tsig, timeout, tries\.$/)
    expect(keys(`${rfc}, bogus: 2}}`)).to.match(/unknown key "dns\.tsig\.bogus" Keys allowed here: keyName, algorithm, secretFile, secretEnv, secret\.$/)
  })

  it('dns.provider: refuses the sandbox\'s DNS outside the sandbox, a key of another provider, and an inline TSIG secret, each at its line', () => {
    expect(problems(`${minimal}provider: aws\ndns: {provider: local, zone: a., name: www.a.}\n`)).to.deep.equal([
      'broken.yaml:5:17: dns.provider local is the sandbox\'s own DNS server and needs provider: local: choose route53 or rfc2136',
    ])
    expect(problems(`${minimal}provider: aws\ndns:\n  provider: rfc2136\n  server: 192.0.2.53\n  zone: a.\n  name: www.a.\n  hostedZoneId: Z1\n  tsig: {keyName: k, secretEnv: K}\n`)[0]).to.match(/^broken\.yaml:10:3: unknown key "dns\.hostedZoneId"/)
    const inline = problems(`${minimal}provider: aws\ndns:\n  provider: rfc2136\n  server: 192.0.2.53\n  zone: a.\n  name: www.a.\n  tsig:\n    keyName: k\n    secret: c2VjcmV0LXZhbHVlLTEyMzQ=\n`)
    expect(inline).to.deep.equal(['broken.yaml:12:13: dns.tsig.secret: the TSIG secret is not written in the cluster file: put it in a file (tsig.secretFile) or an environment variable (tsig.secretEnv)', 'broken.yaml:11:5: dns.tsig: set exactly one of tsig.secretFile and tsig.secretEnv'])
    expect(inline.join()).not.to.contain('c2VjcmV0LXZhbHVlLTEyMzQ=')
  })

  it('refuses provider static without hosts', () => {
    expect(problems(`${minimal}provider: static\n`)[0]).to.match(/broken\.yaml:4:\d+: provider static needs a hosts: list/)
  })

  it('resolves relative paths against the folder of the cluster file, and ~ against home', () => {
    const {spec} = parseCluster(`${minimal}ssh:\n  identityFile: keys/ops\n  knownHosts: ~/kh\n`, '/etc/hactl/c.yaml')
    expect(spec.ssh.identityFile).to.equal('/etc/hactl/keys/ops')
    expect(spec.ssh.knownHosts).to.match(/^\/.+\/kh$/)
    expect(spec.ssh.knownHosts).not.to.include('~')
  })
})
