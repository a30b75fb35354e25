/**
 * The cluster file's `dns:` section. `dns.provider` chooses where the record
 * lives, apart from `provider:` (where the proxies run): Route 53, an RFC 2136
 * server (BIND, Knot, PowerDNS), or the sandbox's own server. Without it:
 * route53 on `provider: aws`, local in the sandbox; a static cluster has no
 * default and must say which (see dnsProviderOf).
 */
import {z} from 'zod'

import {rfc2136DnsSchema} from './dns-rfc2136.js'

export const DNS_PROVIDER_NAMES = ['route53', 'rfc2136', 'local'] as const
export type DnsProviderName = (typeof DNS_PROVIDER_NAMES)[number]

const common = {
  zone: z.string(),
  name: z.string(),
  ttl: z.number().int().min(0).default(30),
}

const route53Fields = {
  ...common,
  hostedZoneId: z.string().optional(),
  /**
   * One record per address (Route 53 multivalue answer), each with its own
   * Route 53 health check, so Route 53 stops answering with an address whose
   * proxy fails. Default: one A record set listing every address.
   */
  multivalue: z.boolean().default(false),
}

const route53 = z.strictObject({provider: z.literal('route53'), ...route53Fields})
const local = z.strictObject({provider: z.literal('local'), ...common})
/** No `provider:` written: the compute provider decides (dnsProviderOf); the fields are Route 53's, as before the key existed. */
const unset = z.strictObject({provider: z.undefined().optional(), ...route53Fields})

export const dnsSchema = z.discriminatedUnion('provider', [route53, local, rfc2136DnsSchema, unset])

export type DnsSpec = z.output<typeof dnsSchema>
export type Route53DnsSpec = z.output<typeof route53>

/** The DNS provider a cluster uses: written in the file, or the compute provider's default; undefined for a static cluster that names none. */
export function dnsProviderOf(spec: {provider: string; dns?: {provider?: DnsProviderName}}): DnsProviderName | undefined {
  if (spec.dns?.provider) return spec.dns.provider
  if (spec.provider === 'aws') return 'route53'
  if (spec.provider === 'local') return 'local'
  return undefined
}

/** What a cluster file may not combine, as [key path, message]; the loader adds file:line. */
export function dnsProblems(spec: {provider: string; dns?: DnsSpec}): Array<[Array<number | string>, string]> {
  const dns = spec.dns
  if (!dns) return []
  const chosen = dnsProviderOf({provider: spec.provider, dns})
  const problems: Array<[Array<number | string>, string]> = []
  if (chosen === 'local' && spec.provider !== 'local') {
    problems.push([['dns', 'provider'], 'dns.provider local is the sandbox\'s own DNS server and needs provider: local: choose route53 or rfc2136'])
  }
  if (chosen !== 'route53' && 'multivalue' in dns && dns.multivalue) {
    problems.push([['dns', 'multivalue'], `multivalue-answer records are a Route 53 feature: remove dns.multivalue, or set dns.provider: route53 (the DNS provider is ${chosen ?? 'not set'})`])
  }
  return problems
}
