import type {Client, ParsedKey} from 'ssh2'

type SignCallback = (data: Buffer, done: (signature: Buffer) => void) => void
type AuthPk = (username: string, key: ParsedKey, keyAlgo?: string, sign?: SignCallback) => void

/** The hash each RSA signature algorithm signs with; other key types choose their own. */
const RSA_HASH: Record<string, string> = {'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1'}

/**
 * ssh2 offers a key unsigned, waits for the server's "I would accept it",
 * then sends it again signed: one round trip more than RFC 4252 §7 needs,
 * which every push pays once per host. The key is loaded and ours, so sign
 * the first offer. ssh2's protocol object is internal (ssh2 is pinned):
 * when its shape is not the one this knows, ssh2 is left to do as it does.
 */
export function signFirstOffer(client: Client): void {
  const protocol = (client as unknown as {_protocol?: {authPK?: AuthPk}})._protocol
  const authPk = protocol?.authPK
  if (!protocol || typeof authPk !== 'function') return
  protocol.authPK = (username, key, keyAlgo, sign) => {
    const hash = keyAlgo ? RSA_HASH[keyAlgo] : undefined
    const canSign = !sign && typeof key?.sign === 'function' && typeof key.isPrivateKey === 'function' && key.isPrivateKey()
    if (!canSign || key.sign(Buffer.alloc(0), hash) instanceof Error) {
      authPk.call(protocol, username, key, keyAlgo, sign)
      return
    }
    authPk.call(protocol, username, key, keyAlgo, (data, done) => done(key.sign(data, hash) as Buffer))
  }
}
