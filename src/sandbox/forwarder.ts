import {connect, createServer, type Server, type Socket} from 'node:net'

import {listenOrExplain} from './listen.js'

export interface Target {
  host: string
  port: number
}

/**
 * One "Elastic IP": every new connection goes to the instance the address is
 * associated with at that moment (EC2's one-to-one NAT). No association, or a
 * dead instance, and the connection is reset, as on EC2.
 */
export class AddressForwarder {
  private server?: Server
  private readonly open = new Set<Socket>()

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly target: () => Target | undefined,
  ) {}

  async start(): Promise<void> {
    this.server = createServer({noDelay: true}, (client) => this.forward(client))
    await listenOrExplain(this.server, this.host, this.port, `the address ${this.host}`)
  }

  async stop(): Promise<void> {
    for (const s of this.open) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private forward(client: Socket): void {
    const target = this.target()
    if (!target) {
      client.resetAndDestroy()
      return
    }
    splice(client, target, this.open)
  }
}

/**
 * Join a client's connection to a new one to the target, both tracked in
 * `open` until either side closes. A target that refuses resets the client's
 * connection, as EC2's NAT and an NLB do: no retry elsewhere.
 */
export function splice(client: Socket, target: Target, open: Set<Socket>): void {
  const upstream = connect({host: target.host, port: target.port, noDelay: true})
  open.add(client)
  open.add(upstream)
  const close = (): void => {
    open.delete(client)
    open.delete(upstream)
    client.destroy()
    upstream.destroy()
  }
  upstream.once('error', () => (client.destroyed ? close() : (client.resetAndDestroy(), close())))
  client.once('error', close)
  upstream.once('close', close)
  client.once('close', close)
  client.pipe(upstream)
  upstream.pipe(client)
}
