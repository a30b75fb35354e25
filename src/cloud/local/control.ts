import {connect, createServer, type Server} from 'node:net'

import type {BalancerTarget} from '../capabilities.js'

/**
 * The supervisor's control socket: one JSON request per connection, one JSON
 * answer. The local provider uses it to make a change take effect at once
 * (an association switches the forwarder before the call returns).
 */
export type ControlRequest = {op: 'ping'} | {op: 'reconcile'} | {op: 'shutdown'} | {op: 'balancer'}

export interface ProblemReport {
  subject: string
  message: string
}

export interface ControlAnswer {
  ok: boolean
  pid?: number
  started?: string[]
  stopped?: string[]
  problems?: ProblemReport[]
  /** op balancer (topology nlb): each target as the balancer's own checks see it now. */
  targets?: BalancerTarget[]
  error?: string
}

export async function sendControl(socket: string, request: ControlRequest, timeoutMs = 15_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(socket)
    let text = ''
    const timer = setTimeout(() => s.destroy(new Error(`the sandbox supervisor did not answer within ${timeoutMs} ms`)), timeoutMs)
    s.on('connect', () => s.end(`${JSON.stringify(request)}\n`))
    s.on('data', (d: Buffer) => (text += d.toString()))
    s.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    s.on('end', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(text) as ControlAnswer)
      } catch {
        reject(new Error(`the sandbox supervisor sent an unreadable answer: ${text.slice(0, 200)}`))
      }
    })
  })
}

/** True when a supervisor answers on this socket. */
export async function supervisorAlive(socket: string): Promise<ControlAnswer | undefined> {
  try {
    const answer = await sendControl(socket, {op: 'ping'}, 3000)
    return answer.ok ? answer : undefined
  } catch {
    return undefined
  }
}

export function serveControl(handle: (request: ControlRequest) => Promise<ControlAnswer>): Server {
  // Half-open: the client ends its side after the request and still reads the answer.
  return createServer({allowHalfOpen: true}, (s) => {
    let text = ''
    s.on('data', (d: Buffer) => {
      text += d.toString()
      if (!text.includes('\n')) return
      let request: ControlRequest
      try {
        request = JSON.parse(text) as ControlRequest
      } catch {
        s.end(JSON.stringify({ok: false, error: 'bad request'}))
        return
      }
      handle(request).then(
        (answer) => s.end(JSON.stringify(answer)),
        (error: unknown) => s.end(JSON.stringify({ok: false, error: String(error)})),
      )
    })
    s.on('error', () => s.destroy())
  })
}
