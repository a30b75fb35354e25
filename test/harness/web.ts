import {execFile} from 'node:child_process'
import {mkdtemp, readFile} from 'node:fs/promises'
import {createServer as createHttp, type IncomingMessage, type ServerResponse} from 'node:http'
import {createServer as createHttps} from 'node:https'
import {createServer as createTcp, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

export interface WebServer {
  port: number
  /** Host headers and TLS server names seen, in order. */
  seen: {host?: string; servername?: string}[]
  close: () => Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A self-signed certificate for `name`, made with openssl in a temp folder. */
export async function selfSignedCert(name = 'proxy.test'): Promise<{key: Buffer; cert: Buffer}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-cert-'))
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', key, '-out', cert])
  return {key: await readFile(key), cert: await readFile(cert)}
}

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const address = server.address()
  if (!address || typeof address !== 'object') throw new Error('no address')
  return address.port
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  return sockets
}

/** A real HTTP server on loopback answering with `handler`. */
export async function startWeb(handler: Handler, host = '127.0.0.1'): Promise<WebServer> {
  const seen: WebServer['seen'] = []
  const server = createHttp((req, res) => {
    seen.push({host: req.headers.host})
    handler(req, res)
  })
  const sockets = track(server)
  return {port: await listen(server, host), seen, close: closer(server, sockets)}
}

/** A real HTTPS server with a self-signed certificate. */
export async function startTlsWeb(handler: Handler, tls: {key: Buffer; cert: Buffer}): Promise<WebServer> {
  const seen: WebServer['seen'] = []
  const server = createHttps(tls, (req, res) => {
    seen.push({host: req.headers.host, servername: (req.socket as Socket & {servername?: string}).servername})
    handler(req, res)
  })
  const sockets = track(server)
  return {port: await listen(server), seen, close: closer(server, sockets)}
}

/** A TCP server that accepts and then either never answers or resets the connection. */
export async function startRude(behaviour: 'hang' | 'reset'): Promise<WebServer> {
  const server = createTcp((socket) => {
    if (behaviour === 'reset') socket.resetAndDestroy()
  })
  const sockets = track(server)
  return {port: await listen(server), seen: [], close: closer(server, sockets)}
}
