import {createPrivateKey, sign as cryptoSign, type KeyObject} from 'node:crypto'

import type {Client, ParsedKey} from 'ssh2'

type SignCallback = (data: Buffer, done: (signature: Buffer) => void) => void
type AuthPk = (username: string, key: ParsedKey, keyAlgo?: string, sign?: SignCallback) => void

/** The hash each RSA signature algorithm signs with; other key types choose their own. */
const RSA_HASH: Record<string, string> = {'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1'}

/** The hash each key type signs with when no signature algorithm is named (RFC 5656 §6.2.1 for ECDSA; Ed25519 hashes itself). */
const KEY_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
}

type Signer = (data: Buffer, hash: string | undefined) => Buffer

/**
 * One signer per private key, for every connection of the process: ssh2's
 * own key.sign parses the key's PEM text again on every signature (1.8 ms
 * for Ed25519, against 0.2 ms with a parsed key object), and a rollout signs
 * once per host, all hosts at once on one thread. Undefined when the key
 * cannot sign here; ssh2 then does as it does.
 */
const signers = new WeakMap<ParsedKey, Signer | null>()

function signerFor(key: ParsedKey): Signer | undefined {
  let signer = signers.get(key)
  if (signer === undefined) {
    signer = null
    const pem = typeof key?.getPrivatePEM === 'function' && typeof key.isPrivateKey === 'function' && key.isPrivateKey() ? key.getPrivatePEM() : undefined
    const keyHash = KEY_HASH[key?.type]
    if (pem && keyHash !== undefined) {
      try {
        const object: KeyObject = createPrivateKey(pem)
        // A key Node cannot use would fail at the first push's login; find out now, once.
        cryptoSign(keyHash, Buffer.alloc(0), object)
        signer = (data, hash) => cryptoSign(hash ?? keyHash, data, object)
      } catch {
        signer = null
      }
    }
    signers.set(key, signer)
  }
  return signer ?? undefined
}

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
    const signer = sign ? undefined : signerFor(key)
    if (!signer) {
      authPk.call(protocol, username, key, keyAlgo, sign)
      return
    }
    const hash = keyAlgo ? RSA_HASH[keyAlgo] : undefined
    authPk.call(protocol, username, key, keyAlgo, (data, done) => done(signer(data, hash)))
  }
}
