import {expect} from 'chai'

import {convergeDecision, diffSummary} from '../../../src/services/converge.js'

describe('converge: what is pushed where', () => {
  it('a proxy with no rollout record whose config differs from the source was never pushed: pushed in both modes', () => {
    for (const mode of ['new', 'all'] as const) {
      expect(convergeDecision('drift', false, mode), mode).to.deep.equal({neverPushed: true, push: true})
      expect(convergeDecision('missing', false, mode), mode).to.deep.equal({neverPushed: true, push: true})
    }
  })

  it('drift on a proxy a rollout reached before is pushed back only with converge all', () => {
    expect(convergeDecision('drift', true, 'new')).to.deep.equal({neverPushed: false, push: false})
    expect(convergeDecision('drift', true, 'all')).to.deep.equal({neverPushed: false, push: true})
    expect(convergeDecision('not-loaded', true, 'new')).to.deep.equal({neverPushed: false, push: false})
    expect(convergeDecision('not-loaded', true, 'all')).to.deep.equal({neverPushed: false, push: true})
  })

  it('a proxy in sync (with or without a record) or out of reach is left alone', () => {
    for (const mode of ['new', 'all'] as const) {
      expect(convergeDecision('in-sync', false, mode)).to.deep.equal({neverPushed: false, push: false})
      expect(convergeDecision('in-sync', true, mode)).to.deep.equal({neverPushed: false, push: false})
      expect(convergeDecision('unreachable', false, mode)).to.deep.equal({neverPushed: false, push: false})
    }
  })

  it('summarises a diff in one short line', () => {
    const diff = ['--- a/lb1:/etc/haproxy/haproxy.cfg', '+++ b/lb1:/etc/haproxy/haproxy.cfg', '@@ -1,3 +1,3 @@', ' global', '-    maxconn 10', '+    maxconn 4096', '+    nbthread 2', ''].join('\n')
    expect(diffSummary('drift', diff)).to.equal('+2 -1 lines')
    expect(diffSummary('in-sync', '')).to.equal('')
    expect(diffSummary('missing', diff)).to.equal('no config file')
  })
})
