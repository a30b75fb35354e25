/**
 * Certificates as hactl checks them before a proxy ever sees one: the key
 * belongs to the certificate, each chain certificate signed the one before
 * it, every host asked for is covered, and every certificate is valid now.
 * node:crypto's X509Certificate does the parsing; nothing here writes.
 */
import {createHash, createPrivateKey, X509Certificate, type KeyObject} from 'node:crypto'

import {UsageError} from '../errors.js'
import {nameCovers} from './tls.js'

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g

/** Far past any real certificate file: a larger one is not a certificate. */
const MAX_PEM_BYTES = 1024 * 1024

export interface CertificateInfo {
  subject: string
  issuer: string
  /** DNS names from subjectAltName, else the subject CN. */
  names: string[]
  notBefore: Date
  notAfter: Date
  /** SHA-256 of the DER, colon-separated hex as openssl prints it. */
  fingerprint: string
  serial: string
}

export interface CheckedBundle {
  leaf: CertificateInfo
  chain: CertificateInfo[]
  /** Certificate, chain, then key: the one file each proxy reads. */
  pem: string
}

export interface PairInput {
  cert: {file: string; text: string}
  key: {file: string; text: string}
  chain?: {file: string; text: string}
  hosts: string[]
  now?: Date
}

function blocks(text: string, kinds: RegExp): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((m) => kinds.test(m[1])).map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`)
}

function bad(file: string, message: string, action: string): UsageError {
  return new UsageError(`${file}: ${message}; nothing was changed`, {actions: [action]})
}

export function describeCertificate(cert: X509Certificate): CertificateInfo {
  const alt = cert.subjectAltName ?? ''
  const names = [...alt.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1])
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1]
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    issuer: cert.issuer.replaceAll('\n', ', '),
    names: names.length > 0 ? names : cn ? [cn] : [],
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprint: cert.fingerprint256,
    serial: cert.serialNumber,
  }
}

/** The certificates of a PEM text, in order. */
export function parseCertificates(text: string, file: string): X509Certificate[] {
  return blocks(text, /^(TRUSTED )?CERTIFICATE$/).map((pem, i) => {
    try {
      return new X509Certificate(pem)
    } catch (error) {
      throw bad(file, `certificate ${i + 1} cannot be read (${(error as Error).message})`, 'Give the PEM file of the certificate as the CA issued it.')
    }
  })
}

/** SHA-256 fingerprint of a certificate in DER, as `AB:CD:…` (what X509Certificate.fingerprint256 gives). */
export function fingerprintOfDer(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':')
}

/**
 * Check a certificate, its key and chain as `tls add` must before changing
 * anything; a UsageError (exit 2) naming the file and the problem otherwise.
 */
export function checkPair(input: PairInput): CheckedBundle {
  const now = input.now ?? new Date()
  for (const part of [input.cert, input.key, input.chain]) {
    if (part && part.text.length > MAX_PEM_BYTES) throw bad(part.file, 'is over 1 MB: not a certificate or key file', 'Check the path.')
  }
  const certs = parseCertificates(input.cert.text, input.cert.file)
  if (certs.length === 0) throw bad(input.cert.file, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)', 'Give --cert the certificate in PEM form (convert DER with `openssl x509 -inform der`).')
  const chain = input.chain ? parseCertificates(input.chain.text, input.chain.file) : []
  if (input.chain && chain.length === 0) throw bad(input.chain.file, 'holds no PEM certificate', 'Give --chain the intermediate certificates in PEM form.')
  const all = [...certs, ...chain]
  const keyBlocks = blocks(input.key.text, /PRIVATE KEY$/)
  if (keyBlocks.length !== 1) {
    throw bad(input.key.file, keyBlocks.length === 0 ? 'holds no PEM private key' : `holds ${keyBlocks.length} private keys, not one`, 'Give --key the one unencrypted private key of the certificate.')
  }
  let key: KeyObject
  try {
    key = createPrivateKey(keyBlocks[0])
  } catch (error) {
    const message = /passphrase|encrypted/i.test((error as Error).message) ? 'is encrypted: a proxy cannot start with a key that asks for a passphrase' : `cannot be read (${(error as Error).message})`
    throw bad(input.key.file, message, 'Give an unencrypted key (openssl pkey -in KEY -out PLAIN.key).')
  }
  const leaf = all[0]
  if (!leaf.checkPrivateKey(key)) {
    throw bad(input.key.file, `is not the key of the certificate in ${input.cert.file} (${describeCertificate(leaf).subject})`, 'Give the key the certificate was issued for.')
  }
  const where = (i: number): string => (i < certs.length ? input.cert.file : input.chain!.file)
  for (let i = 0; i + 1 < all.length; i++) {
    if (!all[i].checkIssued(all[i + 1]) || !all[i].verify(all[i + 1].publicKey)) {
      throw bad(where(i + 1), `the chain is out of order: certificate ${i + 2} (${describeCertificate(all[i + 1]).subject}) did not sign certificate ${i + 1} (${describeCertificate(all[i]).subject})`, 'List the chain from the certificate up: each certificate followed by the one that signed it.')
    }
  }
  for (const [i, cert] of all.entries()) {
    const info = describeCertificate(cert)
    if (info.notAfter.getTime() <= now.getTime()) throw bad(where(i), `${info.subject} expired on ${info.notAfter.toISOString()}`, 'Renew the certificate and add the new one.')
    if (info.notBefore.getTime() > now.getTime()) throw bad(where(i), `${info.subject} is not valid before ${info.notBefore.toISOString()}`, 'Check the clock, or wait until it is valid.')
  }
  const leafInfo = describeCertificate(leaf)
  const uncovered = input.hosts.filter((h) => !leafInfo.names.some((n) => nameCovers(n, h)))
  if (uncovered.length > 0) {
    throw bad(input.cert.file, `does not cover ${uncovered.join(', ')} (it names ${leafInfo.names.join(', ') || 'no host'})`, 'Leave those hosts out of --hosts, or get a certificate that names them.')
  }
  const pem = [...all.map((c) => c.toString()), keyBlocks[0]].map((b) => (b.endsWith('\n') ? b : `${b}\n`)).join('')
  return {leaf: leafInfo, chain: chain.map(describeCertificate), pem}
}

/** What a stored bundle says about itself (its first certificate). */
export function inspectBundle(text: string, file: string): CertificateInfo | undefined {
  const [leaf] = parseCertificates(text, file)
  return leaf ? describeCertificate(leaf) : undefined
}
