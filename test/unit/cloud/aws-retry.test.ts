import {expect} from 'chai'
import fc from 'fast-check'

import {awsClientConfig, BoundedRetryStrategy, DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryToken} from '../../../src/cloud/aws/client-config.js'
import {cloudError} from '../../../src/cloud/aws/errors.js'

/** Drive a strategy as the SDK's middleware does, with every call throttled; the waits it would sleep. */
async function waitsUntilRefused(strategy: BoundedRetryStrategy): Promise<number[]> {
  const waits: number[] = []
  let token: RetryToken = await strategy.acquireInitialRetryToken('')
  for (;;) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, {errorType: 'THROTTLING'})
    } catch {
      return waits
    }
    waits.push(token.getRetryDelay())
  }
}

describe('AWS client config and its retry strategy', () => {
  it('the worst-case total retry wait of one call is bounded by the policy (default: 20 s)', async () => {
    const worst = await waitsUntilRefused(new BoundedRetryStrategy(DEFAULT_RETRY_POLICY, () => 1))
    const total = worst.reduce((a, b) => a + b, 0)
    expect(total).to.be.at.most(DEFAULT_RETRY_POLICY.maxTotalDelayMs)
    expect(worst.length).to.be.at.most(DEFAULT_RETRY_POLICY.maxAttempts - 1)
    expect(Math.max(...worst)).to.be.at.most(DEFAULT_RETRY_POLICY.maxDelayMs)
  })

  it('for any policy and any jitter, the waits stay within the total budget and each cap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxAttempts: fc.integer({min: 1, max: 20}),
          baseDelayMs: fc.integer({min: 1, max: 2000}),
          maxDelayMs: fc.integer({min: 1, max: 20_000}),
          maxTotalDelayMs: fc.integer({min: 0, max: 60_000}),
        }),
        fc.double({min: 0, max: 1, noNaN: true}),
        async (policy: RetryPolicy, jitter) => {
          const waits = await waitsUntilRefused(new BoundedRetryStrategy(policy, () => jitter))
          expect(waits.reduce((a, b) => a + b, 0)).to.be.at.most(policy.maxTotalDelayMs)
          expect(waits.length).to.be.below(policy.maxAttempts)
          for (const w of waits) expect(w).to.be.at.most(policy.maxDelayMs)
        },
      ),
    )
  })

  it('backs off exponentially up to the cap, with jitter below the ceiling', async () => {
    const policy = {maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1000, maxTotalDelayMs: 1e9}
    expect(await waitsUntilRefused(new BoundedRetryStrategy(policy, () => 1))).to.deep.equal([100, 200, 400, 800, 1000, 1000, 1000])
    expect(await waitsUntilRefused(new BoundedRetryStrategy(policy, () => 0.5))).to.deep.equal([50, 100, 200, 400, 500, 500, 500])
  })

  it('does not retry client errors (bad input, access denied)', async () => {
    const strategy = new BoundedRetryStrategy()
    const first = await strategy.acquireInitialRetryToken('')
    let refused = false
    await strategy.refreshRetryTokenForRetry(first, {errorType: 'CLIENT_ERROR'}).catch(() => (refused = true))
    expect(refused).to.equal(true)
  })

  it('takes --region and --profile, and AWS_ENDPOINT_URL when set', () => {
    const saved = process.env.AWS_ENDPOINT_URL
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:5000'
    try {
      const config = awsClientConfig({region: 'eu-west-1', profile: 'ops'})
      expect(config).to.include({region: 'eu-west-1', profile: 'ops', endpoint: 'http://127.0.0.1:5000'})
      expect(config.maxAttempts).to.equal(DEFAULT_RETRY_POLICY.maxAttempts)
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL
      else process.env.AWS_ENDPOINT_URL = saved
    }
  })
})

describe('AWS errors as the user sees them', () => {
  it('expired credentials exit 7 and say how to refresh them', () => {
    const error = cloudError(Object.assign(new Error('The security token included in the request is expired'), {name: 'ExpiredToken'}), 'DescribeInstances')
    expect(error.exitCode).to.equal(7)
    expect(error.message).to.include('expired')
    expect(error.actions.join(' ')).to.include('aws sso login')
  })

  it('throttling past the budget exits 7 and says how long it tried', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {name: 'RequestLimitExceeded', $metadata: {attempts: 8, totalRetryDelay: 19_500}})
    const error = cloudError(throttled, 'AssociateAddress')
    expect(error.exitCode).to.equal(7)
    expect(error.message).to.match(/AssociateAddress: AWS is throttling requests \(RequestLimitExceeded\) after 8 attempts and 19\.5 s of backoff/)
  })
})
