import {expect} from 'chai'

import type {ProxyInstance} from '../../../src/cloud/provider.js'
import {ec2Judge} from '../../../src/health/judge.js'
import {clusterJudge} from '../../../src/health/judges.js'
import type {ClusterSpec} from '../../../src/cluster/schema.js'

const proxy = (id: string, state: ProxyInstance['state'], statusOk?: boolean): ProxyInstance => ({id, zone: 'z', state, statusOk, tags: {}})

describe('ec2 health judge', () => {
  it('judges by instance state and status checks only', async () => {
    const health = await ec2Judge([
      proxy('i-ok', 'running', true),
      proxy('i-impaired', 'running', false),
      proxy('i-initializing', 'running'),
      proxy('i-stopping', 'stopping', true),
      proxy('i-stopped', 'stopped'),
    ])
    expect(health).to.deep.equal({
      'i-ok': 'healthy',
      'i-impaired': 'unhealthy',
      'i-initializing': 'unknown',
      'i-stopping': 'unhealthy',
      'i-stopped': 'unhealthy',
    })
  })

  it('is the judge for health.proxy.type ec2', async () => {
    expect(clusterJudge({health: {proxy: {type: 'ec2'}}} as ClusterSpec)).to.equal(ec2Judge)
  })
})
