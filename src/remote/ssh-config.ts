/**
 * What the user's ~/.ssh/config says about a host (Host, HostName, User, Port,
 * IdentityFile, ProxyJump), read with the ssh-config parser. hactl's own
 * cluster file wins over it where both say something.
 */
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import path from 'node:path'

export interface SshConfigEntry {
  hostName?: string
  user?: string
  port?: number
  identityFiles: string[]
  proxyJump?: string
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p
}

let parsed: Promise<{compute: (host: string) => Record<string, string | string[]>} | undefined> | undefined

async function loadUserConfig(): Promise<{compute: (host: string) => Record<string, string | string[]>} | undefined> {
  const file = process.env.HACTL_SSH_CONFIG ?? path.join(homedir(), '.ssh', 'config')
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const {default: SSHConfig} = await import('ssh-config')
  return SSHConfig.parse(text)
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

export async function sshConfigFor(host: string): Promise<SshConfigEntry> {
  parsed ??= loadUserConfig()
  const config = await parsed
  if (!config) return {identityFiles: []}
  const computed = config.compute(host)
  const port = first(computed.Port)
  const identity = computed.IdentityFile
  const jump = first(computed.ProxyJump)
  return {
    hostName: first(computed.HostName),
    user: first(computed.User),
    port: port ? Number(port) : undefined,
    identityFiles: (Array.isArray(identity) ? identity : identity ? [identity] : []).map(expandHome),
    proxyJump: jump && jump !== 'none' ? jump : undefined,
  }
}

/** `user@host:port` (ProxyJump / ssh.bastion syntax) → parts. */
export function parseJump(spec: string): {host: string; port?: number; user?: string} {
  const first = spec.split(',')[0].replace(/^ssh:\/\//, '')
  const at = first.lastIndexOf('@')
  const user = at >= 0 ? first.slice(0, at) : undefined
  const rest = at >= 0 ? first.slice(at + 1) : first
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(rest)
  if (bracketed) return {user, host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : undefined}
  const colon = rest.lastIndexOf(':')
  if (colon > 0 && !rest.slice(0, colon).includes(':')) return {user, host: rest.slice(0, colon), port: Number(rest.slice(colon + 1))}
  return {user, host: rest}
}
