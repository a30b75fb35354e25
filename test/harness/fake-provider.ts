import type {AddressPool, Cloud, Instances} from '../../src/cloud/capabilities.js'
import type {DnsZone} from '../../src/cloud/dns-zone.js'
import type {ElasticAddress, ProxyInstance, RecordSet} from '../../src/cloud/provider.js'

/**
 * An in-memory cloud for unit tests and benchmarks: instances, addresses and
 * record sets as plain data; faults switched on by the test.
 */
export class FakeProvider implements Instances, AddressPool, DnsZone {
  readonly kind = 'local' as const
  readonly dnsKind = 'local' as const
  proxies: ProxyInstance[] = []
  addresses: ElasticAddress[] = []
  records = new Map<string, RecordSet>()
  calls: string[] = []
  /** Make the next describe of this kind fail. */
  failNext = new Set<'addresses' | 'associate' | 'proxies'>()

  static pool(proxies: number, zones = ['a', 'b', 'c']): FakeProvider {
    const fake = new FakeProvider()
    for (let i = 1; i <= proxies; i++) {
      fake.proxies.push({id: `i-${i}`, name: `proxy-${i}`, zone: zones[(i - 1) % zones.length], state: 'running', privateAddress: `127.0.1.${i}`, statusOk: true, tags: {}})
      fake.addresses.push({allocationId: `eipalloc-${i}`, publicIp: `127.0.2.${i}`, instanceId: `i-${i}`, tags: {}})
    }
    return fake
  }

  /** This fake as a cluster's capabilities, for a service's `cloud` option. */
  cloud(): Cloud {
    return {kind: this.kind, hosts: this, instances: this, addresses: this}
  }

  holder(allocationId: string): string | undefined {
    return this.addresses.find((a) => a.allocationId === allocationId)?.instanceId
  }

  private fault(kind: 'addresses' | 'associate' | 'proxies'): void {
    if (this.failNext.delete(kind)) throw new Error(`${kind}: injected fault`)
  }

  async listProxies(): Promise<ProxyInstance[]> {
    this.calls.push('listProxies')
    this.fault('proxies')
    return this.proxies.filter((p) => p.state !== 'terminated').map((p) => ({...p, tags: {...p.tags}}))
  }

  async launchProxies(): Promise<ProxyInstance[]> {
    throw new Error('not in the fake')
  }

  async terminateProxy(id: string): Promise<void> {
    this.set(id, 'terminated')
  }

  set(id: string, state: ProxyInstance['state']): void {
    const proxy = this.proxies.find((p) => p.id === id)
    if (!proxy) throw new Error(`no ${id}`)
    proxy.state = state
    proxy.statusOk = state === 'running'
  }

  /** Running, but failing its status checks (what a failing probe looks like to the ec2 judge). */
  sick(id: string, sick = true): void {
    const proxy = this.proxies.find((p) => p.id === id)
    if (!proxy) throw new Error(`no ${id}`)
    proxy.statusOk = !sick
  }

  async listAddresses(): Promise<ElasticAddress[]> {
    this.calls.push('listAddresses')
    this.fault('addresses')
    return this.addresses.map((a) => ({...a, tags: {...a.tags}}))
  }

  async allocateAddress(): Promise<ElasticAddress> {
    const n = this.addresses.length + 1
    const address = {allocationId: `eipalloc-${n}`, publicIp: `127.0.2.${n}`, tags: {}}
    this.addresses.push(address)
    return address
  }

  async associateAddress(allocationId: string, instanceId: string): Promise<void> {
    this.calls.push(`associate ${allocationId} ${instanceId}`)
    this.fault('associate')
    const address = this.addresses.find((a) => a.allocationId === allocationId)
    if (!address) throw new Error(`no ${allocationId}`)
    address.instanceId = instanceId
    address.associationId = `eipassoc-${allocationId}-${instanceId}`
  }

  async disassociateAddress(allocationId: string): Promise<void> {
    const address = this.addresses.find((a) => a.allocationId === allocationId)
    if (address) address.instanceId = undefined
  }

  async releaseAddress(allocationId: string): Promise<void> {
    this.addresses = this.addresses.filter((a) => a.allocationId !== allocationId)
  }

  async getRecordSet(name: string): Promise<RecordSet | undefined> {
    this.calls.push('getRecordSet')
    return this.records.get(name)
  }

  async upsertRecordSet(records: RecordSet): Promise<void> {
    this.calls.push(`upsert ${records.values.join(',')}`)
    this.records.set(records.name, {...records, values: [...records.values]})
  }
}
