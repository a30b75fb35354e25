import {expect} from 'chai'

import {firewallFor} from '../../../src/cloud/firewalls.js'
import type {SandboxState} from '../../../src/cloud/local/state.js'
import {parseCluster} from '../../../src/cluster/loader.js'
import {admits} from '../../../src/sandbox/gate.js'

describe('the sandbox firewall decides as EC2 would', () => {
  const state: Pick<SandboxState, 'groups' | 'instances'> = {
    groups: [
      {id: 'sg-p', name: 'hactl-sandbox-proxies', role: 'proxies', rules: [{protocol: 'tcp', fromPort: 80, toPort: 80, source: {cidr: '0.0.0.0/0'}}]},
      {
        id: 'sg-b',
        name: 'hactl-sandbox-backends',
        role: 'backends',
        rules: [
          {protocol: 'tcp', fromPort: 8080, toPort: 8080, source: {groupId: 'sg-p'}},
          {protocol: 'tcp', fromPort: 8080, toPort: 8080, source: {cidr: '127.0.0.1/32'}},
        ],
      },
      {id: 'sg-wide', name: 'by hand', rules: [{protocol: 'all', source: {cidr: '127.5.0.0/16'}}]},
    ],
    instances: [
      {id: 'i-1', name: 'proxy-1', index: 1, zone: 'a', address: '127.0.1.1', state: 'running', launchedAt: '', groupIds: ['sg-p']},
      {id: 'i-2', name: 'proxy-2', index: 2, zone: 'b', address: '127.0.1.2', state: 'running', launchedAt: ''},
      {id: 'i-3', name: 'proxy-3', index: 3, zone: 'c', address: '127.0.1.3', state: 'terminated', launchedAt: '', groupIds: ['sg-p']},
    ],
  }
  const backend = {port: 8080, groupIds: ['sg-b']}

  it('lets in a proxy of the source group and a network the rule names, and nobody else', () => {
    expect(admits(state, backend, '127.0.1.1')).to.equal(true)
    expect(admits(state, backend, '::ffff:127.0.1.1'), 'an IPv4 peer on a dual-stack socket').to.equal(true)
    expect(admits(state, backend, '127.0.0.1')).to.equal(true)
    expect(admits(state, backend, '127.0.1.2'), 'a proxy outside the group').to.equal(false)
    expect(admits(state, backend, '127.0.1.3'), 'a terminated proxy').to.equal(false)
    expect(admits(state, backend, '127.0.0.9')).to.equal(false)
  })

  it('a rule covers its ports only; all traffic covers every port; no group lets nobody in', () => {
    expect(admits(state, {port: 9000, groupIds: ['sg-b']}, '127.0.1.1')).to.equal(false)
    expect(admits(state, {port: 9000, groupIds: ['sg-wide']}, '127.5.3.3')).to.equal(true)
    expect(admits(state, {port: 9000, groupIds: ['sg-wide']}, '127.6.3.3')).to.equal(false)
    expect(admits(state, {port: 8080}, '127.0.0.1')).to.equal(false)
  })

  it('a sandbox cluster file without firewall: has no firewall to audit (exit 2), rather than a pass over open backends', async () => {
    const cluster = parseCluster('cluster: sandbox\nprovider: local\nproxy: {config: ./haproxy.cfg}\n', 'sandbox/hactl.yaml')
    const error = await firewallFor(cluster).then(
      () => undefined,
      (e: Error & {exitCode?: number}) => e,
    )
    expect(error?.message).to.include('enforces no firewall: the file has no firewall: section')
    expect(error?.exitCode).to.equal(2)
  })
})
