/**
 * The cluster file's `dns:` section for an RFC 2136 server (BIND, Knot,
 * PowerDNS): where to send updates, which record, and which TSIG key signs
 * them. The key's secret is never written here: the file names a file or an
 * environment variable that holds it.
 */
import {z} from 'zod'

import {parseDuration} from './duration.js'

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number]

// The cluster schema's `duration` lives in schema.ts, which will import this
// module: importing it back would be a cycle, so the few lines are local.
const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value
  const ms = parseDuration(value)
  if (ms === undefined || ms === 0) {
    ctx.addIssue({code: 'custom', message: `"${value}" is not a duration: write it like 500ms, 2s or 1m`})
    return z.NEVER
  }
  return ms
})

const domainName = z.string().regex(/^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i, 'write a domain name like www.example.com.')

export const tsigSchema = z
  .strictObject({
    /** The key's name as the server knows it (`key "NAME" { … }` in named.conf). */
    keyName: domainName,
    algorithm: z.enum(TSIG_ALGORITHMS).default('hmac-sha256'),
    /** A file with the base64 secret, or a BIND key file as `tsig-keygen` writes it; relative to the cluster file. */
    secretFile: z.string().min(1).optional(),
    /** The name of an environment variable holding the base64 secret. */
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'write the name of an environment variable, like HACTL_TSIG_SECRET').optional(),
    // Accepted only to refuse it with a useful message instead of "unknown key".
    secret: z.unknown().optional(),
  })
  .superRefine((tsig, ctx) => {
    if (tsig.secret !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'the TSIG secret is not written in the cluster file: put it in a file (tsig.secretFile) or an environment variable (tsig.secretEnv)',
      })
    }
    if ((tsig.secretFile === undefined) === (tsig.secretEnv === undefined)) {
      ctx.addIssue({code: 'custom', path: [], message: 'set exactly one of tsig.secretFile and tsig.secretEnv'})
    }
  })
  .transform(({secret: _secret, ...tsig}) => tsig)

export const rfc2136DnsSchema = z
  .strictObject({
    provider: z.literal('rfc2136'),
    /** The primary server that accepts updates: an IP address or a host name. */
    server: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(53),
    zone: domainName,
    name: domainName,
    ttl: z.number().int().min(0).max(2_147_483_647).default(30),
    tsig: tsigSchema,
    /** How long to wait for each answer before sending again. */
    timeout: duration.default(2000),
    /** Sends per message over UDP, and again over TCP when TCP is needed, before giving up. */
    tries: z.number().int().min(1).max(10).default(3),
  })
  .superRefine((dns, ctx) => {
    if (!inZone(dns.name, dns.zone)) {
      ctx.addIssue({code: 'custom', path: ['name'], message: `${dns.name} is not inside the zone ${dns.zone}`})
    }
  })

export type Rfc2136DnsSpec = z.output<typeof rfc2136DnsSchema>
export type Rfc2136DnsInput = z.input<typeof rfc2136DnsSchema>

function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '')
  const z = zone.toLowerCase().replace(/\.$/, '')
  return n === z || n.endsWith(`.${z}`)
}
