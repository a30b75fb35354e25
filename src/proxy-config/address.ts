/**
 * Addresses as users type them on the command line (`ADDRESS:PORT`), checked
 * before any engine sees them. Shared by every engine.
 */
import {UsageError} from '../errors.js'

export interface Endpoint {
  /** IPv4, IPv6 (no brackets) or a host name. */
  address: string
  port: number
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/

export function isIpv6(address: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(address) || !address.includes(':')) return false
  const doubles = address.split('::').length - 1
  if (doubles > 1) return false
  const groups = address.split(':').filter(Boolean)
  const tail = groups.at(-1) ?? ''
  const ipv4Tail = IPV4.test(tail)
  const hexGroups = ipv4Tail ? groups.slice(0, -1) : groups
  if (!hexGroups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  const width = hexGroups.length + (ipv4Tail ? 2 : 0)
  return doubles === 1 ? width < 8 : width === 8
}

export function isValidHost(address: string): boolean {
  return IPV4.test(address) || isIpv6(address) || (HOSTNAME.test(address) && !/^[\d.]+$/.test(address))
}

/** Parse `host:port`, `1.2.3.4:80` or `[::1]:80`; a UsageError naming `what` otherwise. */
export function parseEndpoint(input: string, what = 'ADDRESS:PORT'): Endpoint {
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(input)
  const plain = /^([^:[\]]+):([^:]*)$/.exec(input)
  const match = bracketed ?? plain
  const fail = (why: string): never => {
    throw new UsageError(`${what} "${input}": ${why}`, {
      actions: ['Write it as HOST:PORT, e.g. 10.0.1.7:8080, web1.internal:80 or [2001:db8::7]:8080.'],
    })
  }
  if (!match) return fail(input.split(':').length > 2 && !input.startsWith('[') ? 'put an IPv6 address in brackets' : 'expected HOST:PORT')
  const [, address, portText] = match
  if (!isValidHost(address)) return fail(`"${address}" is not an IP address or host name`)
  if (!/^\d{1,5}$/.test(portText)) return fail(`"${portText}" is not a port number`)
  const port = Number(portText)
  if (port < 1 || port > 65_535) return fail(`port ${port} is out of range 1-65535`)
  return {address: address.toLowerCase(), port}
}

/** `host:port`, bracketing IPv6. */
export function formatEndpoint({address, port}: Endpoint): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
