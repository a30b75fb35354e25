/** CIDR parsing for the firewall policy: enough to validate input and compare networks, nothing more. */
import {isIP} from 'node:net'

export interface Cidr {
  family: 4 | 6
  address: string
  prefix: number
}

export function parseCidr(text: string): Cidr | undefined {
  if (text.length > 64) return undefined
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const address = text.slice(0, slash)
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return undefined
  const family = isIP(address)
  const prefix = Number(prefixText)
  if (family === 4 && prefix <= 32) return {family: 4, address, prefix}
  if (family === 6 && prefix <= 128) return {family: 6, address, prefix}
  return undefined
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined
}

export const WORLD_V4 = '0.0.0.0/0'
export const WORLD_V6 = '::/0'

export function isWorld(cidr: string): boolean {
  return cidr === WORLD_V4 || cidr === WORLD_V6
}

export function cidrFamily(cidr: string): 4 | 6 {
  return parseCidr(cidr)?.family ?? (cidr.includes(':') ? 6 : 4)
}
