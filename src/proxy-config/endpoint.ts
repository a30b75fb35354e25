/**
 * Addresses as proxy configs write them (`10.0.0.7:8080`, `[::1]:80`,
 * `unix:/run/app.sock`) and the checks every engine applies to new ones.
 */
import {UsageError} from '../errors.js'

export interface Endpoint {
  /** Host name or IP, without brackets for IPv6; `unix:/path` for sockets. */
  address: string
  port?: number
}

/** Split `host:port`, `[v6]:port`, `host` or `unix:/path`; the port is left undefined when absent. */
export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) return {address: text}
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close > 0) {
      const port = text.slice(close + 1).startsWith(':') ? toPort(text.slice(close + 2)) : undefined
      return {address: text.slice(1, close), port}
    }
  }
  const colon = text.lastIndexOf(':')
  // More than one colon without brackets is a bare IPv6 address.
  if (colon < 0 || text.indexOf(':') !== colon) return {address: text}
  const port = toPort(text.slice(colon + 1))
  return port === undefined ? {address: text} : {address: text.slice(0, colon), port}
}

function toPort(text: string): number | undefined {
  return /^\d{1,5}$/.test(text) ? Number(text) : undefined
}

/** `host:port`, bracketing IPv6 addresses. */
export function formatEndpoint(address: string, port?: number): string {
  const host = address.includes(':') && !address.startsWith('unix:') ? `[${address}]` : address
  return port === undefined ? host : `${host}:${port}`
}

/** Refuse an address or port no proxy would take, before anything is edited. */
export function checkEndpoint(address: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`port ${port} is not between 1 and 65535`, {actions: ['Give the server as ADDRESS:PORT, e.g. 10.0.1.7:8080.']})
  }
  if (address === '' || /[\s;{}"'#\\]/.test(address)) {
    throw new UsageError(`"${address}" is not an address a proxy config can hold`, {
      actions: ['Give an IP address or a host name, e.g. 10.0.1.7 or app1.internal.'],
    })
  }
}

/** True when `ref` names this endpoint: as written, or as address:port with the engine's default port filled in. */
export function endpointMatches(ref: string, written: string, endpoint: Endpoint, defaultPort?: number): boolean {
  return ref === written || endpointMatcher(ref, defaultPort).matches(written, endpoint)
}

/**
 * endpointMatches for one ref against many written endpoints: the ref is
 * parsed once. Any text that names the endpoint holds `address`, so a caller
 * can rule out most candidates before reading them (an upstream of 10k
 * servers is searched on each add).
 */
export function endpointMatcher(ref: string, defaultPort?: number): {address: string; matches: (written: string, endpoint?: Endpoint) => boolean} {
  const wanted = parseEndpoint(ref)
  const port = wanted.port ?? defaultPort
  return {
    address: wanted.address,
    matches(written, endpoint = parseEndpoint(written)) {
      if (written === ref) return true
      return endpoint.address === wanted.address && (endpoint.port ?? defaultPort) === port
    },
  }
}
