/**
 * SDK errors become CloudErrors (exit 7) that say what went wrong in the
 * user's terms and what to do next. Anything an SDK call throws passes
 * through `cloudError` before it leaves src/cloud/aws/.
 */
import {CloudError, HactlError} from '../../errors.js'

interface SdkErrorLike {
  name?: string
  message?: string
  Code?: string
  $metadata?: {httpStatusCode?: number; attempts?: number; totalRetryDelay?: number}
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'])
const NOT_AUTHENTICATED = new Set([
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  'IncompleteSignature',
])
const NOT_ALLOWED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException'])
export const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
  'RequestThrottled',
  'TooManyRequestsException',
  'EC2ThrottledException',
])

export function errorName(error: unknown): string {
  const e = error as SdkErrorLike | undefined
  return e?.name ?? e?.Code ?? 'Error'
}

/** Turn whatever an SDK call threw into a CloudError that names the call and the way out. */
export function cloudError(error: unknown, call: string): HactlError {
  if (error instanceof HactlError) return error
  const e = (error ?? {}) as SdkErrorLike
  const name = errorName(error)
  const detail = e.message ? `: ${e.message}` : ''
  if (EXPIRED.has(name)) {
    return new CloudError(`${call}: the AWS credentials have expired (${name})`, {
      cause: error,
      data: {awsError: name},
      actions: [
        'Refresh them: `aws sso login --profile NAME` for SSO, or get new session keys (aws sts get-session-token / your identity tool).',
        'Then run the command again, with --profile NAME if they live in a named profile.',
      ],
    })
  }
  if (NOT_AUTHENTICATED.has(name) || /credential|Could not load credentials/i.test(e.message ?? '')) {
    return new CloudError(`${call}: AWS did not accept the credentials (${name})${detail}`, {
      cause: error,
      data: {awsError: name},
      actions: [
        'Check which identity is in use: `aws sts get-caller-identity` (with --profile NAME if you use one).',
        'Set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
      ],
    })
  }
  if (NOT_ALLOWED.has(name)) {
    return new CloudError(`${call}: the AWS identity is not allowed to do this (${name})`, {
      cause: error,
      data: {awsError: name},
      actions: ['Attach the policy printed by `hactl iam-policy` to the identity hactl runs as.'],
    })
  }
  if (THROTTLING.has(name) || e.$metadata?.httpStatusCode === 429) {
    const attempts = e.$metadata?.attempts
    const waited = e.$metadata?.totalRetryDelay
    const tried = attempts ? ` after ${attempts} attempts${waited === undefined ? '' : ` and ${(waited / 1000).toFixed(1)} s of backoff`}` : ''
    return new CloudError(`${call}: AWS is throttling requests (${name})${tried}; gave up to stay within the retry budget`, {
      cause: error,
      data: {awsError: name, attempts, totalRetryDelayMs: waited},
      actions: ['Run the command again in a minute; if it keeps happening, look for other tools calling the same API in this account and region.'],
    })
  }
  return new CloudError(`${call} failed: ${name}${detail}`, {
    cause: error,
    data: {awsError: name},
    actions: ['Run again with --verbose for the cause; check the region (--region) and the cluster file.'],
  })
}

/** Await an SDK call; failures leave as CloudErrors naming the call. */
export async function aws<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw cloudError(error, call)
  }
}
