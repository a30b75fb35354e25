import {expect} from 'chai'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ec2Judge} from '../../../src/health/judge.js'
import {parseCluster, type Cluster} from '../../../src/cluster/loader.js'
import {describeOperation} from '../../../src/cloud/operations.js'
import type {Cloud} from '../../../src/cloud/capabilities.js'
import type {RecordSet} from '../../../src/cloud/provider.js'
import {allocateEips, attachEip, releaseEip} from '../../../src/services/eip.js'
import {MemoryReporter} from '../../../src/events.js'
import {FakeProvider} from '../../harness/fake-provider.js'

/** The fake cloud, writing down each change it is asked for in the words a dry run uses. */
class RecordingProvider extends FakeProvider {
  changes: string[] = []

  override async allocateAddress(): ReturnType<FakeProvider['allocateAddress']> {
    this.changes.push(describeOperation({op: 'allocateAddress'}))
    return super.allocateAddress()
  }

  override async associateAddress(allocationId: string, instanceId: string): Promise<void> {
    this.changes.push(describeOperation({op: 'associateAddress', allocationId, instanceId}))
    return super.associateAddress(allocationId, instanceId)
  }

  override async disassociateAddress(allocationId: string): Promise<void> {
    this.changes.push(describeOperation({op: 'disassociateAddress', allocationId}))
    return super.disassociateAddress(allocationId)
  }

  override async releaseAddress(allocationId: string): Promise<void> {
    this.changes.push(describeOperation({op: 'releaseAddress', allocationId}))
    return super.releaseAddress(allocationId)
  }

  override async upsertRecordSet(records: RecordSet): Promise<void> {
    this.changes.push(describeOperation({op: 'upsertRecordSet', records}))
    return super.upsertRecordSet(records)
  }
}

async function cluster(): Promise<Cluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-ops-'))
  return parseCluster(
    `cluster: web\nprovider: aws\nproxy: {config: ./haproxy.cfg}\naddresses: {count: 4}\ndns: {zone: example.test., name: www.example.test., ttl: 30}\nfailover: {stateFile: ${path.join(dir, 'state.json')}}\n`,
    path.join(dir, 'hactl.yaml'),
  )
}

function world(): RecordingProvider {
  const fake = new RecordingProvider()
  Object.assign(fake, FakeProvider.pool(3))
  fake.addresses.push({allocationId: 'eipalloc-9', publicIp: '127.0.2.9', tags: {}})
  fake.records.set('www.example.test.', {name: 'www.example.test.', type: 'A', ttl: 30, values: ['127.0.2.1', '127.0.2.2', '127.0.2.3']})
  return fake
}

describe('a cloud command runs exactly the operations its --dry-run lists', () => {
  const cases: [string, (options: {cluster: Cluster; cloud: Cloud; dnsZone: RecordingProvider; reporter: MemoryReporter; dryRun: boolean}) => Promise<{dryRun?: {calls: string[]}}>][] = [
    ['eip allocate', (o) => allocateEips({...o, count: 6})],
    ['eip attach', (o) => attachEip({...o, eip: '127.0.2.9', instance: 'i-2', judge: ec2Judge})],
    ['eip release --force of an address in the record', (o) => releaseEip({...o, eip: '127.0.2.1', force: true})],
  ]
  for (const [name, run] of cases) {
    it(name, async () => {
      const c = await cluster()
      const dry = world()
      const listed = (await run({cluster: c, cloud: dry.cloud(), dnsZone: dry, reporter: new MemoryReporter(), dryRun: true})).dryRun?.calls ?? []
      expect(dry.changes, 'a dry run changes nothing').to.deep.equal([])
      expect(listed).to.not.deep.equal([])
      const real = world()
      await run({cluster: c, cloud: real.cloud(), dnsZone: real, reporter: new MemoryReporter(), dryRun: false})
      expect(real.changes).to.deep.equal(listed)
    })
  }
})
