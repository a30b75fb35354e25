/**
 * One request, one answer: UDP first, sent again after each timeout up to
 * `tries` times; TCP when the answer comes back truncated or the request is
 * larger than a plain UDP message may be (512 bytes without EDNS). Every wait
 * is bounded, so an unreachable server ends in at most tries × timeout per
 * transport.
 */
import {createSocket} from 'node:dgram'
import {connect, isIPv6} from 'node:net'

export interface Endpoint {
  host: string
  port: number
  timeoutMs: number
  tries: number
}

export interface Answer {
  response: Buffer
  /** How many times the request went out: more than one means an earlier send may have been applied. */
  sends: number
  via: 'udp' | 'tcp'
}

export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'refused' | 'network',
    message: string,
    readonly sends: number,
    options?: {cause?: unknown},
  ) {
    super(message, options)
  }
}

const UDP_LIMIT = 512

export async function exchange(request: Buffer, endpoint: Endpoint): Promise<Answer> {
  if (request.length > UDP_LIMIT) return tcp(request, endpoint, 0)
  const udpAnswer = await udp(request, endpoint)
  if (!isTruncated(udpAnswer.response)) return udpAnswer
  return tcp(request, endpoint, udpAnswer.sends)
}

const isTruncated = (b: Buffer): boolean => (b.readUInt16BE(2) & 0x0200) !== 0

/** An answer to `request`: same ID, QR set. Anything else on the socket is ignored. */
const answers = (request: Buffer, b: Buffer): boolean => b.length >= 12 && b.readUInt16BE(0) === request.readUInt16BE(0) && (b[2] & 0x80) !== 0

async function udp(request: Buffer, {host, port, timeoutMs, tries}: Endpoint): Promise<Answer> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
  let sends = 0
  try {
    return await new Promise<Answer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const fail = (error: TransportError): void => {
        clearTimeout(timer)
        reject(error)
      }
      const send = (): void => {
        if (sends >= tries) {
          fail(new TransportError('timeout', `no answer over UDP after ${sends} ${sends === 1 ? 'try' : 'tries'} of ${timeoutMs} ms`, sends))
          return
        }
        sends++
        socket.send(request, (error) => error && fail(network(error, sends)))
        timer = setTimeout(send, timeoutMs)
      }
      socket.on('message', (message) => {
        if (!answers(request, message)) return
        clearTimeout(timer)
        resolve({response: message, sends, via: 'udp'})
      })
      // An ICMP port unreachable arrives here on a connected socket: nothing listens, no point waiting.
      socket.on('error', (error) => fail(network(error, sends)))
      socket.connect(port, host, send)
    })
  } finally {
    socket.close()
  }
}

async function tcp(request: Buffer, {host, port, timeoutMs, tries}: Endpoint, earlierSends: number): Promise<Answer> {
  let lastError: TransportError | undefined
  for (let attempt = 1; attempt <= tries; attempt++) {
    try {
      const response = await tcpOnce(request, host, port, timeoutMs, earlierSends + attempt)
      return {response, sends: earlierSends + attempt, via: 'tcp'}
    } catch (error) {
      lastError = error as TransportError
      if (lastError.kind === 'refused') break
    }
  }
  throw lastError ?? new TransportError('network', 'no TCP attempt was made', earlierSends)
}

async function tcpOnce(request: Buffer, host: string, port: number, timeoutMs: number, sends: number): Promise<Buffer> {
  const socket = connect({host, port})
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      let received = Buffer.alloc(0)
      const timer = setTimeout(() => reject(new TransportError('timeout', `no answer over TCP within ${timeoutMs} ms`, sends)), timeoutMs)
      const done = (fn: () => void): void => {
        clearTimeout(timer)
        fn()
      }
      socket.once('connect', () => {
        const length = Buffer.alloc(2)
        length.writeUInt16BE(request.length)
        socket.write(Buffer.concat([length, request]))
      })
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk])
        if (received.length < 2) return
        const size = received.readUInt16BE(0)
        if (received.length < 2 + size) return
        const message = received.subarray(2, 2 + size)
        done(() => (answers(request, message) ? resolve(message) : reject(new TransportError('network', 'the TCP answer does not match the request', sends))))
      })
      socket.once('error', (error) => done(() => reject(network(error, sends))))
      socket.once('end', () => done(() => reject(new TransportError('network', 'the server closed the TCP connection without an answer', sends))))
    })
  } finally {
    socket.destroy()
  }
}

function network(error: Error, sends: number): TransportError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ECONNREFUSED') return new TransportError('refused', 'connection refused: nothing listens there', sends, {cause: error})
  return new TransportError('network', code ?? error.message, sends, {cause: error})
}
