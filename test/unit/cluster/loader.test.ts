import {expect} from 'chai'

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

  it('refuses dns.multivalue, which is not built yet, instead of ignoring it', () => {
    expect(problems(`${minimal}dns: { zone: a., name: www.a., multivalue: true }\n`)[0]).to.match(/broken\.yaml:4:\d+: dns\.multivalue: multivalue-answer records are not supported yet/)
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
