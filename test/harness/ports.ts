import {createServer} from 'node:net'

/**
 * Ports this process has handed out: the OS may give a port back as soon as
 * the probe closes it, so servers started side by side could otherwise get
 * the same one (and the second would fail to bind while the first answers).
 */
const handedOut = new Set<number>()

/** A TCP port free on host right now (the OS picks it), never one this process handed out before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, host, () => {
        const address = server.address()
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
      })
    })
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
}
