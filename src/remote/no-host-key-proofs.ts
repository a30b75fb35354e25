import type {Client} from 'ssh2'

type GlobalRequestHandler = (protocol: unknown, name: string, wantReply: boolean, data: unknown) => void

interface Internals {
  _protocol?: {_handlers?: {GLOBAL_REQUEST?: GlobalRequestHandler}; requestSuccess?: () => void}
}

/**
 * After login, OpenSSH's sshd announces all its host keys
 * (`hostkeys-00@openssh.com`, for clients that rotate known_hosts), and ssh2
 * answers every announcement by asking the host to prove each key: one
 * signature per host key on the host (RSA among them) and one verification
 * each here, on every connection, for a list hactl never reads. hactl trusts
 * exactly the key known_hosts names, checked in the key exchange; this leaves
 * the announcement unanswered, as `ssh -o UpdateHostKeys=no` does. ssh2's
 * handler table is internal (ssh2 is pinned): when its shape is not the one
 * this knows, nothing changes.
 */
export function skipHostKeyProofs(client: Client): void {
  const protocol = (client as unknown as Internals)._protocol
  const handlers = protocol?._handlers
  const original = handlers?.GLOBAL_REQUEST
  if (!handlers || typeof original !== 'function') return
  handlers.GLOBAL_REQUEST = (self, name, wantReply, data) => {
    if (name !== 'hostkeys-00@openssh.com') {
      original(self, name, wantReply, data)
      return
    }
    if (wantReply && typeof protocol?.requestSuccess === 'function') protocol.requestSuccess()
  }
}
