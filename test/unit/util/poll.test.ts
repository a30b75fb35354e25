import {expect} from 'chai'

import {poll} from '../../../src/util/poll.js'

describe('poll: ask again with capped backoff until done or the deadline', () => {
  it('returns the first answer that is good enough, with how many tries it took', async () => {
    let n = 0
    const result = await poll(() => ++n, (v) => v >= 3, {timeoutMs: 5000, delayMs: 1})
    expect(result).to.deep.equal({value: 3, done: true, tries: 3})
  })

  it('past the deadline it gives the last answer, not done, after a try at the deadline', async () => {
    const started = Date.now()
    const pauses: number[] = []
    const result = await poll(() => Date.now(), () => false, {timeoutMs: 300, delayMs: 20, maxDelayMs: 80, onRetry: (_v, pause) => void pauses.push(pause)})
    expect(result.done).to.equal(false)
    expect(result.value - started, 'the last try is at the deadline, not before').to.be.at.least(300)
    expect(Math.max(...pauses), 'the pause grows no further than maxDelayMs').to.be.at.most(80)
    expect(pauses.slice(0, 3)).to.deep.equal([20, 40, 80])
  })

  it('a timeout of 0 tries once', async () => {
    let tries = 0
    const result = await poll(() => ++tries, () => false, {timeoutMs: 0})
    expect(result).to.deep.equal({value: 1, done: false, tries: 1})
  })

  it('an abort stops the wait at once', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    const error = await poll(() => false, (v) => v, {timeoutMs: Number.POSITIVE_INFINITY, delayMs: 10_000, signal: controller.signal}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(Error)
    expect(Date.now() - started).to.be.below(5000)
  })
})
