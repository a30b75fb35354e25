import type {Server} from 'node:net'

/** Listen, or fail with a message that names the address and what holds it. */
export async function listenOrExplain(server: Server, host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.code === 'EADDRNOTAVAIL' ? 'the address is not on this machine' : (error.code ?? error.message)
      reject(new Error(`${what} cannot listen on ${host}:${port}: ${why}`))
    }
    server.once('error', onError)
    server.listen({host, port, exclusive: true}, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
