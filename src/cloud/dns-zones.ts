/**
 * The one way to the cluster's DNS: `dns.provider` (or the compute
 * provider's default) picks the implementation, loaded lazily so a command
 * pays only for the client it uses.
 */
import {dnsProviderOf, type DnsProviderName} from '../cluster/dns.js'
import type {Cluster} from '../cluster/loader.js'
import {ConfigError, UsageError} from '../errors.js'
import type {DnsZone} from './dns-zone.js'

export interface DnsZoneOptions {
  profile?: string
  region?: string
  /** Where `tsig.secretEnv` is looked up (default: this process's environment). */
  env?: NodeJS.ProcessEnv
}

/** The cluster's DNS zone; throws (exit 2) when the cluster file has no dns section, or a static cluster names no dns.provider. */
export async function openDnsZone(cluster: Cluster, options: DnsZoneOptions = {}): Promise<DnsZone> {
  const {spec} = cluster
  const dns = spec.dns
  if (!dns) {
    throw new ConfigError('the cluster file has no dns: section', {file: cluster.file}, {
      actions: ['Add dns: {zone: example.com., name: www.example.com., ttl: 30} to the cluster file; dns.provider chooses route53, rfc2136 or local.'],
    })
  }
  const kind = dnsProviderOf(spec)
  if (!kind) {
    throw new UsageError(`provider ${spec.provider} has no DNS of its own: set dns.provider in ${cluster.file} to route53 (a Route 53 hosted zone) or rfc2136 (your own DNS server, BIND, Knot or PowerDNS)`, {
      actions: ['Add `provider: route53` (with zone and name) or `provider: rfc2136` (with server, zone, name and tsig) under dns: in the cluster file; see docs/dns.md.'],
    })
  }
  const open: Record<DnsProviderName, () => Promise<DnsZone>> = {
    async route53() {
      const [{Route53Zone, route53ZoneSpec}, {route53Adapter}] = await Promise.all([import('./aws/route53-zone.js'), import('./aws/route53-client.js')])
      const client = route53Adapter({region: options.region ?? spec.region, profile: options.profile ?? spec.profile})
      return new Route53Zone(route53ZoneSpec(spec, cluster.file), client)
    },
    async rfc2136() {
      if (dns.provider !== 'rfc2136') throw new Error('unreachable: rfc2136 chosen without its settings')
      const {openRfc2136Zone} = await import('./rfc2136/index.js')
      return openRfc2136Zone(dns, {location: {file: cluster.file}, dir: cluster.dir, ...(options.env ? {env: options.env} : {})})
    },
    async local() {
      return (await import('./local/dns-zone.js')).createLocalDnsZone(cluster)
    },
  }
  return open[kind]()
}
