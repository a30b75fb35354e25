import {createServer} from 'node:http'

export interface AwsEndpoint {
  endpoint: string
  /** Attempts per SDK invocation (retries of one call share an invocation id). */
  attempts: Map<string, number>
  /** Every request that reached the endpoint, as `ec2:Action` or `route53:METHOD /path`. */
  calls: string[]
  /** The body of every request, in the order of `calls` (EC2's query parameters, form-encoded). */
  bodies: string[]
  /** The SigV4 credential scope of every request, in the order of `calls`: who signed it, for which region and service. */
  scopes: {accessKey: string; region: string; service: string}[]
  close: () => Promise<void>
}

/** Name an AWS request: EC2's query Action, or Route 53's REST method and resource. */
function callName(method: string, url: string, body: string): string {
  if (url.startsWith('/2013-04-01')) {
    const resource = url.replace(/\?.*$/, '').replace(/\/(hostedzone|change)\/[^/]+/, '/$1/ID')
    return `route53:${method} ${resource}`
  }
  const action = new URLSearchParams(body).get('Action') ?? new URL(url, 'http://x').searchParams.get('Action')
  return `ec2:${action ?? '?'}`
}

/**
 * An endpoint in front of moto (127.0.0.1 only) that records every call and
 * answers the first `failures` attempts of each with a throttling error, the
 * way EC2 (RequestLimitExceeded, 503) and Route 53 (Throttling, 400) do.
 */
export async function awsEndpoint(target: string, options: {failures?: number} = {}): Promise<AwsEndpoint> {
  const failures = options.failures ?? 0
  const attempts = new Map<string, number>()
  const calls: string[] = []
  const bodies: string[] = []
  const scopes: AwsEndpoint['scopes'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      calls.push(callName(req.method ?? 'GET', req.url ?? '/', body.toString()))
      bodies.push(body.toString())
      const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))
      scopes.push({accessKey: scope?.[1] ?? '', region: scope?.[2] ?? '', service: scope?.[3] ?? ''})
      const key = String(req.headers['amz-sdk-invocation-id'])
      const n = (attempts.get(key) ?? 0) + 1
      attempts.set(key, n)
      if (n <= failures) {
        const isRoute53 = (req.url ?? '').startsWith('/2013-04-01')
        res.writeHead(isRoute53 ? 400 : 503, {'content-type': 'text/xml'})
        res.end(
          isRoute53
            ? '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>t</RequestId></ErrorResponse>'
            : '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>t</RequestID></Response>',
        )
        return
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>
      fetch(`${target}${req.url}`, {method: req.method, headers, body: body.length > 0 ? body : undefined})
        .then(async (answer) => {
          res.writeHead(answer.status, {'content-type': answer.headers.get('content-type') ?? 'text/xml'})
          res.end(Buffer.from(await answer.arrayBuffer()))
        })
        .catch(() => res.destroy())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as {port: number}).port}`
  return {endpoint, attempts, calls, bodies, scopes, close: () => new Promise<void>((resolve) => server.close(() => resolve()))}
}
