import {expect} from 'chai'

import {parseCluster, withOverrides} from '../../../src/cluster/loader.js'

describe('--region and --profile over the cluster file', () => {
  const file = 'cluster: web\nprovider: aws\nregion: us-east-1\nprofile: ops\nproxy:\n  config: ./haproxy.cfg\n'

  it('give a cluster with the flags applied and leave the parsed file as it was read', () => {
    const parsed = parseCluster(file, '/srv/hactl.yaml')
    const run = withOverrides(parsed, {region: 'eu-west-1', profile: 'deploy'})
    expect(run.spec).to.include({region: 'eu-west-1', profile: 'deploy', cluster: 'web'})
    expect(parsed.spec).to.include({region: 'us-east-1', profile: 'ops'})
    expect(run.path).to.equal(parsed.path)
  })

  it('keep the file’s value where a flag is absent or empty', () => {
    const parsed = parseCluster(file, '/srv/hactl.yaml')
    expect(withOverrides(parsed, {region: 'eu-west-1', profile: ''}).spec).to.include({region: 'eu-west-1', profile: 'ops'})
    expect(withOverrides(parsed, {})).to.equal(parsed)
  })
})
