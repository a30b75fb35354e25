/**
 * known_hosts, read the way OpenSSH reads it: plain and hashed (`|1|salt|hash`)
 * host patterns, `[host]:port` for ports other than 22, wildcards, negation,
 * `@revoked`. A host key is trusted only when a line names this host with
 * exactly this key.
 */
import {createHmac} from 'node:crypto'
import {appendFile, mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'

export interface KnownKey {
  line: number
  marker?: '@cert-authority' | '@revoked'
  patterns: string
  type: string
  key: string
}

export type HostKeyVerdict =
  | {status: 'changed'; type: string; line: number}
  | {status: 'known'; line: number}
  | {status: 'revoked'; line: number}
  | {status: 'unknown'; knownTypes: string[]}

/** The name known_hosts uses for a host: `host`, or `[host]:port` off port 22. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** The key type written inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const length = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + length).toString('latin1')
}

export function parseKnownHosts(text: string): KnownKey[] {
  const keys: KnownKey[] = []
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const words = line.split(/\s+/)
    const marker = words[0].startsWith('@') ? (words.shift() as KnownKey['marker']) : undefined
    if (words.length < 3) continue
    keys.push({line: index + 1, marker, patterns: words[0], type: words[1], key: words[2]})
  }
  return keys
}

/** Each pattern compiled once: every connection checks every line of known_hosts, so a rollout checks hosts × lines. */
const globs = new Map<string, RegExp>()

function glob(pattern: string, name: string): boolean {
  let re = globs.get(pattern)
  if (!re) {
    re = new RegExp(`^${pattern.replaceAll(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i')
    globs.set(pattern, re)
  }
  return re.test(name)
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, kind, salt, hash] = pattern.split('|')
  if (kind !== '1' || !salt || !hash) return false
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash
}

/** Does a host-pattern field (comma-separated, maybe hashed) name this host? */
export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const name = hostKeyName(host, port)
  if (patterns.startsWith('|')) return hashedMatch(patterns, name)
  let matched = false
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!')
    const body = negated ? pattern.slice(1) : pattern
    // `[host]:port` patterns compare whole; a bare pattern only ever names port 22.
    if (glob(body, name)) {
      if (negated) return false
      matched = true
    }
  }
  return matched
}

export function verifyHostKey(known: readonly KnownKey[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const key = blob.toString('base64')
  const type = keyType(blob)
  const mine = known.filter((k) => k.marker !== '@cert-authority' && patternsMatch(k.patterns, host, port))
  const revoked = known.find((k) => k.marker === '@revoked' && k.key === key)
  if (revoked) return {status: 'revoked', line: revoked.line}
  const same = mine.find((k) => k.marker === undefined && k.key === key)
  if (same) return {status: 'known', line: same.line}
  const sameType = mine.find((k) => k.marker === undefined && k.type === type)
  if (sameType) return {status: 'changed', type, line: sameType.line}
  return {status: 'unknown', knownTypes: [...new Set(mine.map((k) => k.type))]}
}

/** SHA256 fingerprint as OpenSSH prints it. */
export async function fingerprint(blob: Buffer): Promise<string> {
  const {createHash} = await import('node:crypto')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/**
 * One reader of a known_hosts file per run; appends (accept-new) are
 * serialised so parallel connections never interleave lines.
 */
export class KnownHostsFile {
  private keys?: Promise<KnownKey[]>
  private writes: Promise<void> = Promise.resolve()

  constructor(readonly file: string) {}

  load(): Promise<KnownKey[]> {
    this.keys ??= readFile(this.file, 'utf8')
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return ''
        throw error
      })
      .then(parseKnownHosts)
    return this.keys
  }

  /** Record exactly one key for this host. */
  add(host: string, port: number, blob: Buffer): Promise<void> {
    const line = `${hostKeyName(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`
    this.writes = this.writes.then(async () => {
      const keys = await this.load()
      if (verifyHostKey(keys, host, port, blob).status === 'known') return
      await mkdir(path.dirname(this.file), {recursive: true, mode: 0o700})
      const before = await readFile(this.file, 'utf8').catch(() => '')
      const separator = before === '' || before.endsWith('\n') ? '' : '\n'
      await appendFile(this.file, separator + line, {mode: 0o600})
      keys.push({line: keys.length + 1, patterns: hostKeyName(host, port), type: keyType(blob), key: blob.toString('base64')})
    })
    return this.writes
  }
}
