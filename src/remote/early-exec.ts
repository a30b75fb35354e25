import type {Client, ClientChannel} from 'ssh2'

interface Internals {
  _protocol?: {exec?: (id: number, command: string, wantReply: boolean) => void}
  _chanMgr?: {_channels?: Record<number, unknown>}
}

type Waiter = (channel: ClientChannel) => void

const waiting = new WeakMap<Client, Map<string, Waiter[]>>()

/**
 * ssh2 hands out an exec's channel only when the server has answered the
 * exec request, so what hactl writes to the command waits one round trip
 * more than it must: the server queues input that follows the request, as
 * `ssh host cmd < file` relies on. This hands the channel out as soon as the
 * request is sent. ssh2's protocol and channel table are internal (ssh2 is
 * pinned): when their shape is not the one this knows, nothing changes and
 * exec answers as ssh2 does.
 */
export function handChannelsOutEarly(client: Client): void {
  const internals = client as unknown as Internals
  const protocol = internals._protocol
  const exec = protocol?.exec
  if (!protocol || typeof exec !== 'function' || typeof internals._chanMgr?._channels !== 'object') return
  const pending = new Map<string, Waiter[]>()
  waiting.set(client, pending)
  protocol.exec = (id, command, wantReply) => {
    exec.call(protocol, id, command, wantReply)
    const waiter = pending.get(command)?.shift()
    if (!waiter) return
    const channels = Object.values(internals._chanMgr?._channels ?? {}) as {outgoing?: {id?: number}}[]
    const channel = channels.find((c) => typeof c === 'object' && c?.outgoing?.id === id)
    if (channel) waiter(channel as unknown as ClientChannel)
  }
}

/**
 * Run `command`; resolves with its channel once the request is on its way
 * (or, where that cannot be seen, once the server accepted it). A refusal
 * that comes after the channel was handed out closes the channel, and
 * `refused` says why.
 */
export function execEarly(client: Client, command: string): Promise<{channel: ClientChannel; refused: () => Error | undefined}> {
  return new Promise((resolve, reject) => {
    let handed: ClientChannel | undefined
    let refusal: Error | undefined
    const refused = (): Error | undefined => refusal
    const pending = waiting.get(client)
    const waiter: Waiter = (channel) => {
      handed = channel
      resolve({channel, refused})
    }
    if (pending) pending.set(command, [...(pending.get(command) ?? []), waiter])
    client.exec(command, (error, channel) => {
      const queue = pending?.get(command)
      if (queue?.includes(waiter)) queue.splice(queue.indexOf(waiter), 1)
      if (queue?.length === 0) pending?.delete(command)
      if (handed) {
        if (error) {
          refusal = error
          handed.close()
        }
        return
      }
      if (error) reject(error)
      else resolve({channel, refused})
    })
  })
}
