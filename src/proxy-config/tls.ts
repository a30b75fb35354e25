/**
 * TLS termination as an engine edit: the listener and certificate lines a
 * config needs for certificates kept in one folder beside the config
 * (`hactl-tls/NAME.pem`: certificate, chain and key in one file). Paths in
 * the config are relative to the config's own folder, so the same text works
 * beside the source and beside the live file on every proxy.
 */

/** The folder beside the config that holds one PEM per certificate. */
export const TLS_DIR = 'hactl-tls'

/** Protocol floor hactl writes unless told otherwise. */
export const DEFAULT_MIN_VERSION = 'TLSv1.2'

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3'

export const TLS_MIN_VERSIONS: readonly TlsMinVersion[] = ['TLSv1.2', 'TLSv1.3']

export interface TlsSpec {
  /** The certificate's name: its file is `hactl-tls/NAME.pem`. */
  name: string
  /** Host names the certificate serves (all covered by it). */
  hosts: string[]
  /** The HTTPS port, 443 unless told otherwise. */
  port: number
  /** Answer plain HTTP with a 301 to https. */
  redirectHttp: boolean
  minVersion: TlsMinVersion
  /** The engine's cipher string; the engine's own default when absent. */
  ciphers?: string
  /** The frontend / server block to serve it in, when the engine cannot tell. */
  frontend?: string
  /**
   * The folder on the hosts that holds `hactl-tls/` (the live config's), for
   * engines that open certificate paths from their working folder and so
   * need it absolute in the text (pound, perlbal).
   */
  folder?: string
}

export interface TlsRemoveSpec {
  name: string
  /** Certificates that stay in the folder after this one goes. */
  remaining: string[]
}

/** Where a certificate is served according to the config. */
export interface TlsBinding {
  name: string
  /** The frontend or server block. */
  frontend: string
  /** Hosts the config ties to it (nginx server_name); empty when the engine picks by SNI from the certificate. */
  hosts: string[]
  port?: number
  line: number
}

/** `hactl-tls/NAME.pem`, as written in the config. */
/** Whole days from `now` until a certificate's not-after (negative once it has expired), both in ms. */
export function daysLeft(notAfter: number, now: number): number {
  return Math.floor((notAfter - now) / 86_400_000)
}

export function certificatePath(name: string): string {
  return `${TLS_DIR}/${name}.pem`
}

/** The certificate name of a path written in a config, when it is one of hactl's. */
export function certificateName(written: string): string | undefined {
  const m = new RegExp(`^(?:\\./)?${TLS_DIR}/([A-Za-z0-9][A-Za-z0-9._-]*)\\.pem$`).exec(written)
  return m?.[1]
}

/** `FOLDER/hactl-tls/NAME.pem`: the absolute path pound and perlbal are given. */
export function hostCertificatePath(folder: string, name: string): string {
  return `${folder.replace(/\/+$/, '')}/${certificatePath(name)}`
}

/** The certificate name of an absolute path hactl wrote (`…/hactl-tls/NAME.pem`). */
export function hostCertificateName(written: string): string | undefined {
  const m = new RegExp(`^/(?:.*/)?${TLS_DIR}/([A-Za-z0-9][A-Za-z0-9._-]*)\\.pem$`).exec(written)
  return m?.[1]
}

/** Names are file names in the folder: letters, digits, dot, dash, underscore. */
export const TLS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Whether a certificate name pattern (`*.example.com` or exact) covers a host (RFC 6125: one label for the wildcard). */
export function nameCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '')
  const h = host.toLowerCase().replace(/\.$/, '')
  if (p === h) return true
  if (!p.startsWith('*.')) return false
  const dot = h.indexOf('.')
  return dot > 0 && h.slice(dot + 1) === p.slice(2)
}

/** A listen/bind address with its port swapped, as written (quotes kept): `:80` → `:443`, `"${A}:80"` → `"${A}:443"`, `80` → `443`. */
export function withPort(written: string, port: number): string {
  const quoted = /^(["'])(.*)\1$/.exec(written)
  const inner = quoted ? quoted[2] : written
  let swapped: string
  if (/^\d+$/.test(inner)) swapped = String(port)
  else if (/:\d+$/.test(inner)) swapped = inner.replace(/:\d+$/, `:${port}`)
  else if (/^\[[^\]]*\]$/.test(inner) || !inner.includes(':')) swapped = `${inner}:${port}`
  else swapped = `${inner}:${port}`
  return quoted ? `${quoted[1]}${swapped}${quoted[1]}` : swapped
}
