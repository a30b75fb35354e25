import {createSocket} from 'node:dgram'
import {createServer} from 'node:net'

import {UsageError} from '../errors.js'

export interface Endpoint {
  host: string
  port: number
  protocol: 'tcp' | 'udp'
  /** What the sandbox would run there, for the message. */
  what: string
}

async function free(endpoint: Endpoint): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (endpoint.protocol === 'udp') {
      const socket = createSocket('udp4')
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      socket.bind(endpoint.port, endpoint.host, () => socket.close(() => resolve(undefined)))
      return
    }
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    server.listen({host: endpoint.host, port: endpoint.port, exclusive: true}, () => server.close(() => resolve(undefined)))
  })
}

/** Refuse to start when any address:port the sandbox needs is taken, naming each one. */
export async function checkEndpointsFree(endpoints: Endpoint[]): Promise<void> {
  const taken: string[] = []
  for (const endpoint of endpoints) {
    const problem = await free(endpoint)
    if (!problem) continue
    const why = problem === 'EADDRINUSE' ? 'is already in use' : problem === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `cannot be bound (${problem})`
    taken.push(`${endpoint.host}:${endpoint.port}/${endpoint.protocol} (${endpoint.what}) ${why}`)
  }
  if (taken.length === 0) return
  throw new UsageError(taken.join('\n'), {
    actions: [
      'Stop what holds it (`ss -ltnup` shows the owner), or pick other ports or nets: `hactl sandbox up --proxy-port 8000 --dns-port 5354 --address-net 127.0.12`.',
      'If it is another sandbox, stop it with `hactl sandbox down -c ITS/hactl.yaml`.',
    ],
    data: {taken},
  })
}
