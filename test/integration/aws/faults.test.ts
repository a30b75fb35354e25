import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import {ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client} from '@aws-sdk/client-route-53'
import {mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'
import {createServer, type Server} from 'node:http'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {cloudOf, createAwsProvider, type AwsProvider} from '../../../src/cloud/aws/provider.js'
import {sdkClients} from '../../../src/cloud/aws/sdk.js'
import {loadCluster, type Cluster} from '../../../src/cluster/loader.js'
import type {HactlError} from '../../../src/errors.js'
import {failoverEips} from '../../../src/services/eip.js'
import {MemoryReporter} from '../../../src/events.js'
import {awsEndpoint} from '../../harness/aws-endpoint.js'
import {hactl} from '../../harness/cli.js'
import {sharedMoto, type Moto} from '../../harness/moto.js'
import {waitFor} from '../../harness/wait.js'
import {clusterDir, createZone, inspect, stopInstance} from './helpers.js'

const mockEc2 = () => mockClient(EC2Client)

const FAST_RETRY = {maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalDelayMs: 50}

describe('AWS faults the real cloud can produce and moto cannot', function () {
  this.timeout(60_000)
  let moto: Moto
  let cluster: Cluster
  let dir: string

  before(async () => {
    moto = await sharedMoto()
    process.env.AWS_ENDPOINT_URL = moto.endpoint
    Object.assign(process.env, {AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true'})
    const zoneId = await createZone(inspect(moto).r53)
    dir = await clusterDir('faults', zoneId)
    cluster = await loadCluster(path.join(dir, 'hactl.yaml'))
  })
  after(async () => {
    delete process.env.AWS_ENDPOINT_URL
    await moto?.stop()
  })

  describe('throttling', () => {
    afterEach(() => {
      process.env.AWS_ENDPOINT_URL = moto.endpoint
    })
    it('every call type hactl makes is retried after throttling and then succeeds', async () => {
      const handler = await awsEndpoint(moto.endpoint, {failures: 2})
      process.env.AWS_ENDPOINT_URL = handler.endpoint
      const provider = await createAwsProvider(cluster, {retry: {...FAST_RETRY, maxAttempts: 5}})
      const [proxy] = await provider.launchProxies([{zone: 'us-east-1a'}], {clientToken: 't1'})
      const direct = sdkClients({region: 'us-east-1', retry: {...FAST_RETRY, maxAttempts: 5}})
      await direct.ec2.describeSubnets([])
      await direct.route53.getChange('C0000000000000')
      const proxies = await provider.listProxies()
      expect(proxies.map((p) => p.id)).to.include(proxy.id)
      const address = await provider.allocateAddress()
      await provider.associateAddress(address.allocationId, proxy.id)
      expect((await provider.listAddresses()).find((a) => a.allocationId === address.allocationId)?.instanceId).to.equal(proxy.id)
      await provider.disassociateAddress(address.allocationId)
      await provider.upsertRecordSet({name: 'www.example.com.', type: 'A', ttl: 30, values: [address.publicIp]})
      expect((await provider.getRecordSet('www.example.com.'))?.values).to.deep.equal([address.publicIp])
      await provider.releaseAddress(address.allocationId)
      await provider.listBackendInstances('app')
      await provider.terminateProxy(proxy.id)
      // Every request was refused twice before it went through.
      expect([...handler.attempts.values()].every((n) => n === 3)).to.equal(true)
      expect(handler.attempts.size).to.be.greaterThan(12)
      await handler.close()
    })

    it('throttling past the retry budget ends in exit 7 with a clear message, within the bounded wait', async () => {
      const handler = await awsEndpoint(moto.endpoint, {failures: Number.POSITIVE_INFINITY})
      process.env.AWS_ENDPOINT_URL = handler.endpoint
      const provider = await createAwsProvider(cluster, {retry: FAST_RETRY})
      const error = (await provider.listAddresses().catch((e: unknown) => e)) as HactlError
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.match(/DescribeAddresses: AWS is throttling requests \(RequestLimitExceeded\) after [2-4] attempts/)
      expect(error.actions.length).to.be.greaterThan(0)
      const [attempts] = [...handler.attempts.values()]
      expect(attempts).to.be.at.most(FAST_RETRY.maxAttempts)
      await handler.close()
    })
  })

  describe('with client mocks', () => {
    // Created here, not at load time: the mock replaces every EC2Client's send while it lives.
    let ec2Mock: ReturnType<typeof mockEc2>
    before(() => {
      ec2Mock = mockEc2()
    })
    afterEach(() => ec2Mock.reset())
    after(() => ec2Mock.restore())

    const instance = (id: string, zone: string, state: string): object => ({InstanceId: id, Placement: {AvailabilityZone: zone}, State: {Name: state}, Tags: [{Key: 'hactl:cluster', Value: 'faults'}]})
    const statusOk = (id: string): object => ({InstanceId: id, SystemStatus: {Status: 'ok'}, InstanceStatus: {Status: 'ok'}})
    const address = (alloc: string, ip: string, holder?: string): object => ({AllocationId: alloc, PublicIp: ip, InstanceId: holder, AssociationId: holder ? `eipassoc-${alloc}` : undefined, Tags: []})

    function onePoolWithDeadProxy(): void {
      ec2Mock.on(DescribeInstancesCommand).resolves({Reservations: [{Instances: [instance('i-a', 'us-east-1a', 'stopped'), instance('i-b', 'us-east-1b', 'running')] as never}]})
      ec2Mock.on(DescribeInstanceStatusCommand).resolves({InstanceStatuses: [statusOk('i-b')] as never})
    }

    async function provider(): Promise<AwsProvider> {
      return createAwsProvider(cluster, {clients: sdkClients({region: 'us-east-1', retry: FAST_RETRY})})
    }

    it('an association not visible on the first describe is verified on a later one', async () => {
      onePoolWithDeadProxy()
      ec2Mock
        .on(DescribeAddressesCommand)
        .resolvesOnce({Addresses: [address('eipalloc-1', '127.0.0.10', 'i-a')] as never}) // the plan
        .resolvesOnce({Addresses: [address('eipalloc-1', '127.0.0.10', 'i-a')] as never}) // holder check
        .resolvesOnce({Addresses: [address('eipalloc-1', '127.0.0.10', 'i-a')] as never}) // verify: not yet
        .resolves({Addresses: [address('eipalloc-1', '127.0.0.10', 'i-b')] as never})
      ec2Mock.on(AssociateAddressCommand).resolves({AssociationId: 'eipassoc-new'})
      const report = await failoverEips({cluster, reporter: new MemoryReporter(), cloud: cloudOf(await provider())})
      expect(report.ok).to.equal(true)
      expect(report.results.map((r) => r.outcome)).to.deep.equal(['moved'])
      expect(ec2Mock.commandCalls(AssociateAddressCommand)).to.have.length(1)
      expect(ec2Mock.commandCalls(DescribeAddressesCommand).length).to.be.at.least(4)
    })

    it('a describe failing mid-failover (the holder check) means no association is made', async () => {
      onePoolWithDeadProxy()
      ec2Mock
        .on(DescribeAddressesCommand)
        .resolvesOnce({Addresses: [address('eipalloc-1', '127.0.0.10', 'i-a')] as never})
        .rejects(Object.assign(new Error('We encountered an internal error'), {name: 'InternalError', $metadata: {httpStatusCode: 400}}))
      const error = (await failoverEips({cluster, reporter: new MemoryReporter(), cloud: cloudOf(await provider())}).catch((e: unknown) => e)) as HactlError
      expect(error.exitCode).to.equal(7)
      expect(ec2Mock.commandCalls(AssociateAddressCommand)).to.have.length(0)
    })

    it('a describe failing before the plan means no action at all', async () => {
      ec2Mock.on(DescribeInstancesCommand).rejects(Object.assign(new Error('Service Unavailable'), {name: 'Unavailable', $metadata: {httpStatusCode: 400}}))
      ec2Mock.on(DescribeAddressesCommand).resolves({Addresses: [address('eipalloc-1', '127.0.0.10', 'i-a')] as never})
      const error = (await failoverEips({cluster, reporter: new MemoryReporter(), cloud: cloudOf(await provider())}).catch((e: unknown) => e)) as HactlError
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.include('nothing was changed')
      expect(ec2Mock.commandCalls(AssociateAddressCommand)).to.have.length(0)
    })

    it('dns publish waits while Route 53 reports the change PENDING, until INSYNC', async () => {
      const r53Mock = mockClient(Route53Client)
      try {
        r53Mock.on(ChangeResourceRecordSetsCommand).resolves({ChangeInfo: {Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date()}})
        r53Mock
          .on(GetChangeCommand)
          .resolvesOnce({ChangeInfo: {Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date()}})
          .resolves({ChangeInfo: {Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date()}})
        await (await provider()).upsertRecordSet({name: 'www.example.com.', type: 'A', ttl: 30, values: ['127.0.0.10']})
        expect(r53Mock.commandCalls(GetChangeCommand)).to.have.length(2)
        r53Mock.resetHistory()
        await (await provider()).upsertRecordSet({name: 'www.example.com.', type: 'A', ttl: 30, values: ['127.0.0.10']}, {wait: false})
        expect(r53Mock.commandCalls(GetChangeCommand)).to.have.length(0)
      } finally {
        r53Mock.restore()
      }
    })

    it('expired credentials exit 7 and say how to refresh them', async () => {
      ec2Mock.onAnyCommand().rejects(Object.assign(new Error('The security token included in the request is expired'), {name: 'ExpiredToken', $metadata: {httpStatusCode: 400}}))
      const error = (await (await provider()).listProxies().catch((e: unknown) => e)) as HactlError
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.include('expired')
      expect(error.actions.join('\n')).to.include('aws sso login')
    })
  })

  describe('two failovers at once', () => {
    it('never both move the same address: one AssociateAddress in all, both end with exit 0', async () => {
      const raceDir = await clusterDir('race', await createZone(inspect(moto).r53, 'race.example.com.'))
      const race = await loadCluster(path.join(raceDir, 'hactl.yaml'))
      const provider = await createAwsProvider(race)
      const [a] = await provider.launchProxies([{zone: 'us-east-1a'}, {zone: 'us-east-1b'}, {zone: 'us-east-1c'}], {clientToken: 'race'})
      await waitFor('proxies running', async () => (await provider.listProxies()).every((p) => p.state === 'running'))
      const address = await provider.allocateAddress()
      await provider.associateAddress(address.allocationId, a.id)
      await stopInstance(moto, a.id)
      await waitFor('proxy stopped', async () => (await provider.listProxies()).find((p) => p.id === a.id)?.state === 'stopped')

      const counter = await awsEndpoint(moto.endpoint)
      try {
        const env = {...moto.env, AWS_ENDPOINT_URL: counter.endpoint}
        const [one, two] = await Promise.all([hactl(['eip', 'failover'], {cwd: raceDir, env}), hactl(['eip', 'failover'], {cwd: raceDir, env})])
        expect(one.code, one.stdout + one.stderr).to.equal(0)
        expect(two.code, two.stdout + two.stderr).to.equal(0)
        expect(counter.calls.filter((c) => c === 'ec2:AssociateAddress')).to.have.length(1)
        const now = (await provider.listAddresses()).find((x) => x.allocationId === address.allocationId)
        expect(now?.instanceId).to.be.a('string').and.not.equal(a.id)
      } finally {
        await counter.close()
      }
    })
  })

  describe('as the user sees it', () => {
    let server: Server
    let endpoint: string
    before(async () => {
      // A stand-in endpoint that refuses every call the way EC2 does with expired session keys.
      server = createServer((_req, res) => {
        res.writeHead(400, {'content-type': 'text/xml'})
        res.end('<Response><Errors><Error><Code>RequestExpired</Code><Message>Request has expired.</Message></Error></Errors><RequestID>x</RequestID></Response>')
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as {port: number}).port
      endpoint = `http://127.0.0.1:${port}`
      await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n')
    })
    after(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('hactl proxy list with expired credentials exits 7 and says what to do', async () => {
      const r = await hactl(['proxy', 'list'], {cwd: dir, env: {...moto.env, AWS_ENDPOINT_URL: endpoint}})
      expect(r.code).to.equal(7)
      expect(r.stderr).to.include('expired')
      expect(r.stderr).to.include('aws sso login')
      const j = await hactl(['proxy', 'list', '--json'], {cwd: dir, env: {...moto.env, AWS_ENDPOINT_URL: endpoint}})
      expect(JSON.parse(j.stdout).error).to.include({code: 'cloud', exitCode: 7})
    })
  })
})
