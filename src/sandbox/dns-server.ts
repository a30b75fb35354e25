import {createSocket, type Socket} from 'node:dgram'
import {createServer, type Server} from 'node:net'

import dnsPacket from 'dns-packet'

import {answerQuery, type ZoneData} from './dns-answer.js'
import {listenOrExplain} from './listen.js'

/** An authoritative DNS server for the sandbox zone, over UDP and TCP on one port. */
export class DnsServer {
  private udp?: Socket
  private tcp?: Server

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly zone: () => ZoneData,
  ) {}

  async start(): Promise<void> {
    this.tcp = createServer((socket) => this.serveTcp(socket))
    await listenOrExplain(this.tcp, this.host, this.port, 'the sandbox DNS server (TCP)')
    const udp = createSocket('udp4')
    this.udp = udp
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`the sandbox DNS server (UDP) cannot listen on ${this.host}:${this.port}: ${error.code ?? error.message}`)),
      )
      udp.bind(this.port, this.host, () => resolve())
    })
    udp.on('message', (message, peer) => {
      const answer = this.respond(message)
      if (answer) udp.send(answer, peer.port, peer.address)
    })
  }

  async stop(): Promise<void> {
    this.udp?.close()
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()))
  }

  private respond(message: Buffer): Buffer | undefined {
    try {
      return dnsPacket.encode(answerQuery(dnsPacket.decode(message), this.zone()))
    } catch {
      return undefined
    }
  }

  /** TCP frames each message with a two-byte length. */
  private serveTcp(socket: import('node:net').Socket): void {
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0)
        if (buffered.length < 2 + length) return
        const message = buffered.subarray(2, 2 + length)
        buffered = buffered.subarray(2 + length)
        const answer = this.respond(message)
        if (!answer) {
          socket.destroy()
          return
        }
        const framed = Buffer.alloc(2 + answer.length)
        framed.writeUInt16BE(answer.length, 0)
        answer.copy(framed, 2)
        socket.write(framed)
      }
    })
    socket.on('error', () => socket.destroy())
  }
}
