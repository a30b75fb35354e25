import {expect} from 'chai'

import type {FirewallState, ObservedRule} from '../../../src/cloud/firewall.js'
import {parseCluster} from '../../../src/cluster/loader.js'
import {auditFirewall} from '../../../src/firewall/audit.js'
import {planFirewallOperations} from '../../../src/firewall/planner.js'
import {firewallPolicy} from '../../../src/firewall/policy.js'
import type {BackendInfo} from '../../../src/proxy-config/engine.js'

const spec = (firewall: string) =>
  parseCluster(`cluster: shop\nprovider: aws\nproxy: {config: ./haproxy.cfg}\nbackends: {api: {port: 9000}}\nfirewall: ${firewall}\n`, 'hactl.yaml').spec

const app: BackendInfo[] = [
  {
    name: 'app',
    kind: 'backend',
    line: 10,
    servers: [
      {backend: 'app', name: 'a', address: '10.0.1.5', port: 8080, state: 'enabled', backup: false, options: [], line: 12},
      {backend: 'app', name: 'b', address: '10.0.1.6', port: 8080, state: 'enabled', backup: false, options: [], line: 13},
    ],
  },
]

const cidrRule = (port: number, cidr: string, description?: string): ObservedRule => ({protocol: 'tcp', fromPort: port, toPort: port, source: {cidr}, description})

describe('firewall policy, planner and audit', () => {
  const policy = firewallPolicy(spec('{public: [80, 443], admin: [198.51.100.0/24]}'), app, 'haproxy.cfg')

  it('derives backend ports from the config servers and backends:, with where each comes from', () => {
    expect(policy.backendPorts).to.deep.equal([
      {port: 8080, from: ['haproxy.cfg:12', 'haproxy.cfg:13']},
      {port: 9000, from: ['backends.api']},
    ])
    expect(policy.backends.map((r) => `${r.port} ${JSON.stringify(r.source)}`)).to.deep.equal([
      '8080 {"role":"proxies"}',
      '9000 {"role":"proxies"}',
      '22 {"cidr":"198.51.100.0/24"}',
    ])
  })

  it('plans groups, rules and attachments from nothing; nothing when the cloud matches; revokes only its own dropped rules', () => {
    const empty: FirewallState = {groups: [], instances: [{id: 'i-p', role: 'proxies', groupIds: ['sg-default'], vpcId: 'vpc-1'}]}
    const ops = planFirewallOperations(policy, empty)
    expect(ops.filter((o) => o.op === 'createGroup')).to.have.length(2)
    expect(ops.filter((o) => o.op === 'authorize')).to.have.length(5 + 3)
    expect(ops.find((o) => o.op === 'attach')).to.deep.equal({op: 'attach', role: 'proxies', instanceId: 'i-p', keep: ['sg-default']})

    const done: FirewallState = {
      groups: [
        {
          id: 'sg-p',
          name: 'hactl-shop-proxies',
          role: 'proxies',
          rules: [
            cidrRule(80, '0.0.0.0/0', 'hactl: public 80'),
            cidrRule(80, '::/0', 'hactl: public 80'),
            cidrRule(443, '0.0.0.0/0'),
            cidrRule(443, '::/0'),
            cidrRule(22, '198.51.100.0/24', 'hactl: ssh'),
            cidrRule(22, '203.0.113.0/24', 'hactl: ssh from a dropped admin'),
            cidrRule(8443, '192.0.2.0/24', 'made by hand'),
          ],
        },
        {
          id: 'sg-b',
          name: 'hactl-shop-backends',
          role: 'backends',
          rules: [
            {protocol: 'tcp', fromPort: 8080, toPort: 8080, source: {groupId: 'sg-p'}},
            {protocol: 'tcp', fromPort: 9000, toPort: 9000, source: {groupId: 'sg-p'}},
            cidrRule(22, '198.51.100.0/24'),
          ],
        },
      ],
      instances: [
        {id: 'i-p', role: 'proxies', groupIds: ['sg-default', 'sg-p'], vpcId: 'vpc-1'},
        {id: 'i-b', role: 'backends', groupIds: ['sg-b'], vpcId: 'vpc-1'},
      ],
    }
    const again = planFirewallOperations(policy, done)
    expect(again).to.deep.equal([{op: 'revoke', role: 'proxies', groupId: 'sg-p', rule: cidrRule(22, '203.0.113.0/24', 'hactl: ssh from a dropped admin')}])

    const audit = auditFirewall(policy, done)
    expect(audit.findings.map((f) => `${f.kind} ${f.groupId} ${f.rule}`)).to.deep.equal([
      'proxy-open sg-p tcp/22 from 203.0.113.0/24 (hactl: ssh from a dropped admin)',
      'proxy-open sg-p tcp/8443 from 192.0.2.0/24 (made by hand)',
    ])
  })

  it('audit finds a backend open to the world or another group, and SSH open to the world', () => {
    const state: FirewallState = {
      groups: [
        {id: 'sg-p', name: 'p', role: 'proxies', rules: []},
        {id: 'sg-x', name: 'legacy', rules: [cidrRule(8080, '0.0.0.0/0'), {protocol: 'tcp', fromPort: 9000, toPort: 9000, source: {groupId: 'sg-other'}}, cidrRule(22, '::/0')]},
      ],
      instances: [
        {id: 'i-b1', role: 'backends', groupIds: ['sg-x']},
        {id: 'i-b2', role: 'backends', groupIds: ['sg-x']},
      ],
    }
    const kinds = auditFirewall(policy, state).findings.map((f) => `${f.kind} ${f.rule} ${f.instances.join(',')}`)
    expect(kinds).to.deep.equal([
      'backend-open tcp/8080 from 0.0.0.0/0 i-b1,i-b2',
      'backend-open tcp/9000 from sg-other i-b1,i-b2',
      'ssh-world tcp/22 from ::/0 i-b1,i-b2',
    ])
  })

  it('rejects a bad CIDR with its line', () => {
    expect(() => spec('{admin: [10.0.0.1]}')).to.throw(/hactl.yaml:5:.*"10.0.0.1" is not a CIDR/)
  })
})
