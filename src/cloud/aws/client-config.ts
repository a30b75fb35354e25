/**
 * The one configuration every AWS SDK client hactl builds is made from
 * (EC2, Route 53, DynamoDB): the default credential chain (env, profiles,
 * SSO, instance role) with `--profile`, the region from `--region` or the
 * cluster file, AWS_ENDPOINT_URL for moto or LocalStack, and a retry strategy
 * whose total wait is bounded, so a throttled command ends instead of hanging.
 *
 * This module imports no SDK code at run time: it only shapes plain options.
 */

/** The parts of the SDK's retry contract (RetryStrategyV2) hactl relies on. */
export interface RetryToken {
  getRetryCount(): number
  getRetryDelay(): number
}

export type RetryErrorType = 'CLIENT_ERROR' | 'SERVER_ERROR' | 'THROTTLING' | 'TRANSIENT'

export interface RetryErrorInfo {
  errorType: RetryErrorType
  retryAfterHint?: Date
}

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number
  /** First backoff ceiling; doubled on each retry. */
  baseDelayMs: number
  /** No single wait is longer than this. */
  maxDelayMs: number
  /** The sum of all waits of one call never exceeds this: the worst case is known in advance. */
  maxTotalDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  maxTotalDelayMs: 20_000,
}

interface BoundedToken extends RetryToken {
  readonly totalDelayMs: number
}

function token(count: number, delayMs: number, totalDelayMs: number): BoundedToken {
  return {getRetryCount: () => count, getRetryDelay: () => delayMs, totalDelayMs}
}

/**
 * Capped exponential backoff with full jitter (AWS's advice for throttling:
 * clients that back off by a random share of the ceiling stop retrying in
 * lockstep). Throttling (RequestLimitExceeded, Throttling,
 * PriorRequestNotComplete, …), transient network errors and 5xx are retried;
 * client errors are not. A retry whose wait would push the call past
 * `maxTotalDelayMs` is refused, and the SDK then throws the last error.
 * The SDK's retry middleware sleeps the token's delay between attempts.
 */
export class BoundedRetryStrategy {
  readonly mode = 'hactl-bounded'

  constructor(
    readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly random: () => number = Math.random,
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return token(0, 0, 0)
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const {baseDelayMs, maxAttempts, maxDelayMs, maxTotalDelayMs} = this.policy
    if (info.errorType === 'CLIENT_ERROR') throw new Error('not retryable')
    const retry = previous.getRetryCount() + 1
    if (retry >= maxAttempts) throw new Error('retry attempts exhausted')
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1))
    let delay = Math.round(this.random() * ceiling)
    if (info.retryAfterHint) delay = Math.min(maxDelayMs, Math.max(delay, info.retryAfterHint.getTime() - Date.now()))
    const spent = (previous as Partial<BoundedToken>).totalDelayMs ?? 0
    if (spent + delay > maxTotalDelayMs) throw new Error('retry time budget exhausted')
    return token(retry, delay, spent + delay)
  }

  recordSuccess(_token: RetryToken): void {}
}

export interface AwsClientOptions {
  region?: string
  profile?: string
  /** Tests and benchmarks shorten the retry policy; users get the default. */
  retry?: Partial<RetryPolicy>
}

export interface AwsClientConfig {
  region?: string
  profile?: string
  endpoint?: string
  maxAttempts: number
  retryStrategy: BoundedRetryStrategy
  customUserAgent: string
}

/**
 * Options for `new EC2Client(...)`, `new Route53Client(...)`,
 * `new DynamoDBClient(...)`. The credential chain is the SDK's default; a
 * profile selects an entry of ~/.aws/config and ~/.aws/credentials.
 */
export function awsClientConfig(options: AwsClientOptions = {}): AwsClientConfig {
  // The SDK warns on stderr about Node versions its releases of 2027 will need; that is not news for a CLI user.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const policy = {...DEFAULT_RETRY_POLICY, ...options.retry}
  const endpoint = process.env.AWS_ENDPOINT_URL?.trim()
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
  return {
    ...(region ? {region} : {}),
    ...(options.profile ? {profile: options.profile} : {}),
    ...(endpoint ? {endpoint} : {}),
    maxAttempts: policy.maxAttempts,
    retryStrategy: new BoundedRetryStrategy(policy),
    customUserAgent: 'hactl',
  }
}

/**
 * A client whose SDK module is imported on its first call, once: most
 * commands never make a Route 53, ELB or Auto Scaling call, and each SDK
 * costs tens of milliseconds to load.
 */
export function lazyClient<Sdk, Client>(importSdk: () => Promise<Sdk>, make: (sdk: Sdk, config: AwsClientConfig) => Client, options: AwsClientOptions): () => Promise<{sdk: Sdk; client: Client}> {
  let loaded: Promise<{sdk: Sdk; client: Client}> | undefined
  return () => (loaded ??= importSdk().then((sdk) => ({sdk, client: make(sdk, awsClientConfig(options))})))
}
