import {createServer, type Server} from 'node:http'

import type {DemoBackend} from '../cloud/local/state.js'
import {listenOrExplain} from './listen.js'

/**
 * A demo web server that answers every request with its own name, so a user
 * sees which one served it. `admit` is the sandbox's firewall: a connection
 * it refuses is reset before a byte is read, as a host's packet filter
 * rejects it.
 */
export async function startDemoBackend(backend: DemoBackend, admit: (remoteAddress: string) => boolean = () => true): Promise<Server> {
  const server = createServer((request, response) => {
    const body = `${backend.name} ${backend.address}:${backend.port} ${request.method} ${request.url}\n`
    response.writeHead(200, {'content-type': 'text/plain', 'x-backend': backend.name, 'content-length': Buffer.byteLength(body)})
    response.end(body)
  })
  server.on('connection', (socket) => {
    if (!admit(socket.remoteAddress ?? '')) socket.resetAndDestroy()
  })
  server.keepAliveTimeout = 5000
  await listenOrExplain(server, backend.address, backend.port, `the demo backend ${backend.name}`)
  return server
}
