import {expect} from 'chai'

import {planBalancerSetup, planScale} from '../../../src/cloud/balancer-plan.js'
import type {BalancerParts} from '../../../src/cloud/capabilities.js'

const nothing: BalancerParts = {
  launchTemplate: false,
  targetGroups: [],
  targetGroupAttributes: [],
  balancer: false,
  balancerAttributes: false,
  listeners: [],
  scalingGroup: false,
  attached: [],
}
const everything: BalancerParts = {
  launchTemplate: true,
  targetGroups: [80, 443],
  targetGroupAttributes: [80, 443],
  balancer: true,
  balancerAttributes: true,
  listeners: [80, 443],
  scalingGroup: true,
  attached: [80, 443],
}

describe('balancer setup planner (topology nlb)', () => {
  it('from nothing: every part, each after the parts it names', () => {
    expect(planBalancerSetup(nothing, {ports: [443, 80], count: 3})).to.deep.equal([
      {part: 'launchTemplate'},
      {part: 'targetGroup', port: 80},
      {part: 'targetGroupAttributes', port: 80},
      {part: 'targetGroup', port: 443},
      {part: 'targetGroupAttributes', port: 443},
      {part: 'balancer'},
      {part: 'balancerAttributes'},
      {part: 'listener', port: 80},
      {part: 'listener', port: 443},
      {part: 'scalingGroup', count: 3, ports: [80, 443]},
    ])
  })

  it('everything in place: nothing', () => {
    expect(planBalancerSetup(everything, {ports: [80, 443], count: 3})).to.deep.equal([])
  })

  it('a new port: its target group, listener and attachment only; drifted attributes are set again', () => {
    const parts = {...everything, targetGroups: [80], targetGroupAttributes: [80], listeners: [80], attached: [80], balancerAttributes: false}
    expect(planBalancerSetup(parts, {ports: [80, 443], count: 3})).to.deep.equal([
      {part: 'targetGroup', port: 443},
      {part: 'targetGroupAttributes', port: 443},
      {part: 'balancerAttributes'},
      {part: 'listener', port: 443},
      {part: 'attachTargetGroup', port: 443},
    ])
  })

  it('the launch hook: put when the group lacks it (after the group, which names it on create), never when in place or when the provider has none', () => {
    expect(planBalancerSetup({...everything, launchHook: false}, {ports: [80, 443], count: 3})).to.deep.equal([{part: 'launchHook'}])
    expect(planBalancerSetup({...everything, launchHook: true}, {ports: [80, 443], count: 3})).to.deep.equal([])
    expect(planBalancerSetup({...nothing, launchHook: false}, {ports: [80], count: 2}).slice(-2)).to.deep.equal([{part: 'scalingGroup', count: 2, ports: [80]}, {part: 'launchHook'}])
  })

  it('scale: one call when min, max or desired differs, none when all are the count', () => {
    expect(planScale({min: 3, max: 3, desired: 3}, 3)).to.deep.equal([])
    expect(planScale({min: 3, max: 4, desired: 3}, 3)).to.deep.equal([{op: 'setGroupCount', count: 3}])
    expect(planScale({min: 3, max: 3, desired: 3}, 5)).to.deep.equal([{op: 'setGroupCount', count: 5}])
  })
})
