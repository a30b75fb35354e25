/**
 * One probe: a TCP connect, or an HTTP(S) request whose status and body are
 * checked. A probe never throws and never outlives its timeout: every
 * failure (refused, reset, hang, wrong status) comes back as a result.
 */
import {request as httpRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {isIP, connect} from 'node:net'

export type ProbeKind = 'http' | 'https' | 'tcp'

export interface ProbeOptions {
  kind: ProbeKind
  address: string
  port: number
  timeoutMs: number
  /** HTTP path, `/` when absent. */
  path?: string
  /** Host header, also the TLS server name (SNI) when set. */
  host?: string
  /** Accepted statuses, `200-399` or `204`. */
  expectStatus?: string
  /** The body must contain this text. */
  expectBody?: string
  /** Accept self-signed or otherwise unverifiable certificates. */
  insecure?: boolean
}

export interface ProbeResult {
  ok: boolean
  latencyMs: number
  /** What was seen: `HTTP 200`, `connection refused`, `timed out after 250 ms`. */
  detail: string
  /** No answer within the timeout: unlike a refusal, this may be the prober's own slowness. */
  timedOut?: boolean
}

/** The most body a probe reads while looking for expectBody; health pages are small. */
const BODY_LIMIT = 64 * 1024

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now()
  const finish = (ok: boolean, detail: string, timedOut = false): ProbeResult => ({
    ok,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
    detail,
    ...(timedOut ? {timedOut} : {}),
  })
  try {
    const detail = options.kind === 'tcp' ? await tcpConnect(options) : await httpCheck(options)
    return finish(detail.ok, detail.detail)
  } catch (error) {
    return finish(false, describeFailure(error, options.timeoutMs), error instanceof ProbeTimeout)
  }
}

class ProbeTimeout extends Error {}

function tcpConnect(options: ProbeOptions): Promise<{ok: boolean; detail: string}> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: options.address, port: options.port})
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new ProbeTimeout())
    }, options.timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ok: true, detail: 'connected'})
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

function httpCheck(options: ProbeOptions): Promise<{ok: boolean; detail: string}> {
  const [low, high] = statusRange(options.expectStatus ?? '200-399')
  const headers: Record<string, string> = {'user-agent': 'hactl-health', connection: 'close'}
  if (options.host) headers.host = options.host
  const servername = options.host ?? (isIP(options.address) ? undefined : options.address)
  const request = options.kind === 'https' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request({
      host: options.address,
      port: options.port,
      path: options.path ?? '/',
      method: 'GET',
      headers,
      agent: false,
      ...(options.kind === 'https' ? {servername, rejectUnauthorized: !options.insecure} : {}),
    })
    // One deadline for connect, TLS, headers and body: a server that answers slowly is as down as one that hangs.
    const timer = setTimeout(() => req.destroy(new ProbeTimeout()), options.timeoutMs)
    req.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0
      if (status < low || status > high) {
        clearTimeout(timer)
        res.destroy()
        resolve({ok: false, detail: `HTTP ${status}, expected ${options.expectStatus ?? '200-399'}`})
        return
      }
      if (options.expectBody === undefined) {
        clearTimeout(timer)
        res.destroy()
        resolve({ok: true, detail: `HTTP ${status}`})
        return
      }
      const expected = options.expectBody
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (chunk: string) => {
        body += chunk
        if (body.includes(expected)) {
          clearTimeout(timer)
          res.destroy()
          resolve({ok: true, detail: `HTTP ${status}`})
        } else if (body.length > BODY_LIMIT) {
          body = body.slice(-expected.length)
        }
      })
      res.once('end', () => {
        clearTimeout(timer)
        resolve({ok: false, detail: `HTTP ${status}, body lacks "${expected}"`})
      })
      res.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
    req.end()
  })
}

export function statusRange(text: string): [number, number] {
  const [low, high] = text.split('-').map(Number)
  return [low, high ?? low]
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof ProbeTimeout) return `timed out after ${timeoutMs} ms`
  const code = (error as NodeJS.ErrnoException).code
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
      return 'connection reset'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable'
    default:
      return code ? `${code}: ${(error as Error).message}` : (error as Error).message
  }
}
