/**
 * `dns.provider: rfc2136`: open a DnsZone on the server the cluster file
 * names, with the TSIG key read from its file or environment variable.
 */
import type {Rfc2136DnsSpec} from '../../cluster/dns-rfc2136.js'
import {loadTsigKey, type SecretSource} from './secret.js'
import {Rfc2136Zone} from './zone.js'

export {Rfc2136Zone, type Rfc2136ZoneOptions} from './zone.js'
export {TsigKey} from './tsig.js'

export async function openRfc2136Zone(spec: Rfc2136DnsSpec, source: SecretSource): Promise<Rfc2136Zone> {
  const key = await loadTsigKey(spec.tsig, source)
  return new Rfc2136Zone({server: spec.server, port: spec.port, zone: spec.zone, key, timeoutMs: spec.timeout, tries: spec.tries})
}
