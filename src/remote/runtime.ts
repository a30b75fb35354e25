/**
 * HAProxy's runtime API over a Transport: one command per connection to the
 * admin stats socket (HAProxy answers and closes), reached over the SSH
 * connection's unix-socket forwarding, so no reload is needed.
 */
import type {ServerState} from '../proxy-config/engine.js'
import type {Transport} from './transport.js'

export async function runtimeCommand(t: Transport, socket: string, command: string, timeoutMs = 10_000): Promise<string> {
  const stream = await t.openUnixSocket(socket)
  return new Promise((resolve, reject) => {
    let answer = ''
    const timer = setTimeout(() => {
      stream.destroy()
      reject(new Error(`no answer from ${socket} within ${timeoutMs} ms`))
    }, timeoutMs)
    stream.on('data', (d: Buffer) => (answer += d.toString('utf8')))
    stream.once('error', (error: Error) => {
      clearTimeout(timer)
      reject(error)
    })
    stream.once('close', () => {
      clearTimeout(timer)
      resolve(answer)
    })
    stream.end(`${command}\n`)
  })
}

/** The runtime API's word for each config state. */
export const RUNTIME_STATE: Record<ServerState, string> = {enabled: 'ready', drain: 'drain', disabled: 'maint'}

export interface RuntimeServer {
  backend: string
  server: string
  address: string
  port?: number
  /** up, down, starting, stopping */
  operational: string
  /** ready, drain, maint (config or runtime) */
  admin: string
  weight: number
}

const OPERATIONAL = ['down', 'starting', 'up', 'stopping']

/** `show servers state` (format 1): a version line, a `#` header naming the columns, one line per server. */
export function parseServersState(text: string): RuntimeServer[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  const header = lines.find((l) => l.startsWith('#'))?.slice(1).trim().split(/\s+/)
  if (!header) return []
  const col = (name: string): number => header.indexOf(name)
  return lines
    .filter((l) => !l.startsWith('#') && /^\d+\s/.test(l) && l.trim().split(/\s+/).length > 5)
    .map((l) => {
      const f = l.trim().split(/\s+/)
      const adminBits = Number(f[col('srv_admin_state')])
      const admin = adminBits & 0x07 ? 'maint' : adminBits & 0x18 ? 'drain' : 'ready'
      const port = Number(f[col('srv_port')])
      return {
        backend: f[col('be_name')],
        server: f[col('srv_name')],
        address: f[col('srv_addr')],
        port: Number.isFinite(port) && port > 0 ? port : undefined,
        operational: OPERATIONAL[Number(f[col('srv_op_state')])] ?? 'unknown',
        admin,
        weight: Number(f[col('srv_uweight')]),
      }
    })
}
