/**
 * `dns.provider: local`: the sandbox's own authoritative server, whose
 * records live in the sandbox state and are served by its supervisor.
 */
import type {Cluster} from '../../cluster/loader.js'
import {describeOperation} from '../operations.js'
import type {DnsZone, RecordSet, UpsertOptions} from '../dns-zone.js'
import {LocalProvider} from './provider.js'

export function createLocalDnsZone(cluster: Cluster): DnsZone {
  const sandbox = new LocalProvider(cluster)
  return {
    dnsKind: 'local',
    getRecordSet: (name: string) => sandbox.getRecordSet(name),
    upsertRecordSet: (records: RecordSet, options?: UpsertOptions) => sandbox.upsertRecordSet(records, options),
    explainUpsert: (records: RecordSet) => [`sandbox DNS: ${describeOperation({op: 'upsertRecordSet', records})}`],
  }
}
