import {expect} from 'chai'

import {planHost} from '../../../src/remote/plan.js'
import {rolloutExitCode, type HostResult} from '../../../src/remote/rollout.js'

describe('rollout plan', () => {
  const target = {name: 'lb1', transport: 'ssh' as const, remotePath: '/etc/hap proxy/ha$(x).cfg', reload: 'systemctl reload haproxy', validate: 'haproxy -c -f {file}'}

  it('puts the temp file, backup and lock next to the live file so the rename stays on one filesystem', () => {
    const {paths} = planHost(target)
    expect(paths).to.deep.equal({
      live: '/etc/hap proxy/ha$(x).cfg',
      temp: '/etc/hap proxy/.ha$(x).cfg.hactl-new',
      backup: '/etc/hap proxy/ha$(x).cfg.hactl-backup',
      lock: '/etc/hap proxy/.ha$(x).cfg.hactl-lock',
      loaded: '/etc/hap proxy/.ha$(x).cfg.hactl-loaded',
      log: '/etc/hap proxy/.ha$(x).cfg.hactl-log',
    })
  })

  it('passes the path to the operator\'s validate command in a variable, quoted once', () => {
    expect(planHost(target).validate).to.deep.equal(['sh', '-c', `HACTL_FILE='/etc/hap proxy/.ha$(x).cfg.hactl-new'; haproxy -c -f "$HACTL_FILE"`])
  })

  it('passes the lock path to flock as its own argument, never through a shell string', () => {
    const plan = planHost(target)
    expect(plan.lock.slice(0, 5)).to.deep.equal(['flock', '--nonblock', '--conflict-exit-code', '75', '/etc/hap proxy/.ha$(x).cfg.hactl-lock'])
  })
})

describe('rollout exit code', () => {
  const r = (status: HostResult['status'], extra: Partial<HostResult> = {}): HostResult => ({host: 'h', status, ms: 0, ...extra})

  it('is 0 when every host is updated or already up to date', () => {
    expect(rolloutExitCode([r('updated'), r('unchanged')])).to.equal(0)
  })

  it('is 3 when the validator rejected it and no host changed', () => {
    expect(rolloutExitCode([r('rejected'), r('skipped'), r('unchanged')])).to.equal(3)
  })

  it('is 4 when some hosts took it and others failed', () => {
    expect(rolloutExitCode([r('updated'), r('rejected')])).to.equal(4)
    expect(rolloutExitCode([r('updated'), r('failed', {rolledBack: true})])).to.equal(4)
  })

  it('is 6 when only locks held by another push stopped it', () => {
    expect(rolloutExitCode([r('busy'), r('unchanged')])).to.equal(6)
  })

  it('is 7 when host keys or logins were refused and nothing changed', () => {
    expect(rolloutExitCode([r('unreachable', {exitCode: 7})])).to.equal(7)
  })
})
