/**
 * The AWS calls hactl makes, and no others, behind two narrow interfaces with
 * the SDK's own input and output types. Paginated calls come back collected.
 * Every failure leaves as a CloudError naming the call (see ./errors.ts).
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeSubnetsCommand,
  DisassociateAddressCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  paginateDescribeSecurityGroups,
  paginateDescribeInstances,
  paginateDescribeInstanceStatus,
  ReleaseAddressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Address,
  type AllocateAddressCommandInput,
  type AllocateAddressCommandOutput,
  type AssociateAddressCommandInput,
  type AuthorizeSecurityGroupIngressCommandInput,
  type CreateSecurityGroupCommandInput,
  type CreateTagsCommandInput,
  type DescribeInstancesCommandInput,
  type DisassociateAddressCommandInput,
  type Filter,
  type Instance,
  type InstanceStatus,
  type ModifyInstanceAttributeCommandInput,
  type ReleaseAddressCommandInput,
  type RevokeSecurityGroupIngressCommandInput,
  type SecurityGroup,
  type RunInstancesCommandInput,
  type Subnet,
} from '@aws-sdk/client-ec2'
import type {ChangeInfo, ChangeResourceRecordSetsCommandInput, HostedZone, ResourceRecordSet} from '@aws-sdk/client-route-53'

import {absoluteName as absolute} from '../../failover/dns-planner.js'
import {awsClientConfig, type AwsClientOptions} from './client-config.js'
import {aws} from './errors.js'

export interface IEC2Client {
  describeInstances(input: DescribeInstancesCommandInput): Promise<Instance[]>
  describeInstanceStatus(instanceIds: string[]): Promise<InstanceStatus[]>
  describeAddresses(filters: Filter[]): Promise<Address[]>
  describeSubnets(subnetIds: string[]): Promise<Subnet[]>
  runInstances(input: RunInstancesCommandInput): Promise<Instance[]>
  terminateInstances(instanceIds: string[], dryRun?: boolean): Promise<void>
  allocateAddress(input: AllocateAddressCommandInput): Promise<AllocateAddressCommandOutput>
  associateAddress(input: AssociateAddressCommandInput): Promise<void>
  disassociateAddress(input: DisassociateAddressCommandInput): Promise<void>
  releaseAddress(input: ReleaseAddressCommandInput): Promise<void>
  createTags(input: CreateTagsCommandInput): Promise<void>
  /** By filters, or by ids when given (then filters are ignored). */
  describeSecurityGroups(query: {filters?: Filter[]; groupIds?: string[]}): Promise<SecurityGroup[]>
  /** The new group's id. */
  createSecurityGroup(input: CreateSecurityGroupCommandInput): Promise<string>
  authorizeSecurityGroupIngress(input: AuthorizeSecurityGroupIngressCommandInput): Promise<void>
  revokeSecurityGroupIngress(input: RevokeSecurityGroupIngressCommandInput): Promise<void>
  modifyInstanceAttribute(input: ModifyInstanceAttributeCommandInput): Promise<void>
}

export interface IRoute53Client {
  findHostedZone(dnsName: string): Promise<HostedZone | undefined>
  /** The record sets of `name` (exact match) in a zone. */
  listRecordSets(hostedZoneId: string, name: string): Promise<ResourceRecordSet[]>
  changeRecordSets(input: ChangeResourceRecordSetsCommandInput): Promise<ChangeInfo>
  getChange(id: string): Promise<ChangeInfo>
}

export interface AwsClients {
  ec2: IEC2Client
  route53: IRoute53Client
}

/** Real SDK clients built from the one shared config. */
export function sdkClients(options: AwsClientOptions): AwsClients {
  const ec2 = new EC2Client(awsClientConfig(options))
  return {ec2: ec2Adapter(ec2), route53: route53Adapter(options)}
}

function ec2Adapter(client: EC2Client): IEC2Client {
  return {
    describeInstances: (input) =>
      aws('DescribeInstances', async () => {
        const out: Instance[] = []
        for await (const page of paginateDescribeInstances({client}, input)) {
          for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []))
        }
        return out
      }),
    describeInstanceStatus: (InstanceIds) =>
      aws('DescribeInstanceStatus', async () => {
        const out: InstanceStatus[] = []
        if (InstanceIds.length === 0) return out
        for await (const page of paginateDescribeInstanceStatus({client}, {InstanceIds, IncludeAllInstances: true})) {
          out.push(...(page.InstanceStatuses ?? []))
        }
        return out
      }),
    // DescribeAddresses is not paginated: one call returns every address.
    describeAddresses: (Filters) => aws('DescribeAddresses', async () => (await client.send(new DescribeAddressesCommand({Filters}))).Addresses ?? []),
    describeSubnets: (SubnetIds) => aws('DescribeSubnets', async () => (await client.send(new DescribeSubnetsCommand({SubnetIds}))).Subnets ?? []),
    runInstances: (input) => aws('RunInstances', async () => (await client.send(new RunInstancesCommand(input))).Instances ?? []),
    terminateInstances: (InstanceIds, DryRun) => aws('TerminateInstances', async () => void (await client.send(new TerminateInstancesCommand({InstanceIds, DryRun})))),
    allocateAddress: (input) => aws('AllocateAddress', () => client.send(new AllocateAddressCommand(input))),
    associateAddress: (input) => aws('AssociateAddress', async () => void (await client.send(new AssociateAddressCommand(input)))),
    disassociateAddress: (input) => aws('DisassociateAddress', async () => void (await client.send(new DisassociateAddressCommand(input)))),
    releaseAddress: (input) => aws('ReleaseAddress', async () => void (await client.send(new ReleaseAddressCommand(input)))),
    createTags: (input) => aws('CreateTags', async () => void (await client.send(new CreateTagsCommand(input)))),
    describeSecurityGroups: ({filters, groupIds}) =>
      aws('DescribeSecurityGroups', async () => {
        if (groupIds && groupIds.length === 0) return []
        const out: SecurityGroup[] = []
        const input = groupIds ? {GroupIds: groupIds} : {Filters: filters}
        for await (const page of paginateDescribeSecurityGroups({client}, input)) out.push(...(page.SecurityGroups ?? []))
        return out
      }),
    createSecurityGroup: (input) => aws('CreateSecurityGroup', async () => (await client.send(new CreateSecurityGroupCommand(input))).GroupId as string),
    authorizeSecurityGroupIngress: (input) => aws('AuthorizeSecurityGroupIngress', async () => void (await client.send(new AuthorizeSecurityGroupIngressCommand(input)))),
    revokeSecurityGroupIngress: (input) => aws('RevokeSecurityGroupIngress', async () => void (await client.send(new RevokeSecurityGroupIngressCommand(input)))),
    modifyInstanceAttribute: (input) => aws('ModifyInstanceAttribute', async () => void (await client.send(new ModifyInstanceAttributeCommand(input)))),
  }
}

type Route53Module = typeof import('@aws-sdk/client-route-53')

/** Route 53's SDK loads on the first DNS call: most commands never make one. */
function route53Adapter(options: AwsClientOptions): IRoute53Client {
  let loaded: Promise<{sdk: Route53Module; client: InstanceType<Route53Module['Route53Client']>}> | undefined
  const load = (): NonNullable<typeof loaded> =>
    (loaded ??= import('@aws-sdk/client-route-53').then((sdk) => ({sdk, client: new sdk.Route53Client(awsClientConfig(options))})))
  return {
    findHostedZone: (dnsName) =>
      aws('ListHostedZonesByName', async () => {
        const {client, sdk} = await load()
        const {ListHostedZonesByNameCommand} = sdk
        const wanted = absolute(dnsName)
        const out = await client.send(new ListHostedZonesByNameCommand({DNSName: wanted, MaxItems: 10}))
        return (out.HostedZones ?? []).find((z) => absolute(z.Name ?? '') === wanted && !z.Config?.PrivateZone)
      }),
    listRecordSets: (HostedZoneId, name) =>
      aws('ListResourceRecordSets', async () => {
        const {client, sdk} = await load()
        const {ListResourceRecordSetsCommand} = sdk
        const wanted = absolute(name)
        const out: ResourceRecordSet[] = []
        let start: {StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string} = {StartRecordName: wanted}
        // Records come sorted by name: stop at the first page that moves past ours.
        for (;;) {
          const page = await client.send(new ListResourceRecordSetsCommand({HostedZoneId, ...start, MaxItems: 100}))
          const sets = page.ResourceRecordSets ?? []
          out.push(...sets.filter((s) => absolute(s.Name ?? '') === wanted))
          const past = sets.some((s) => absolute(s.Name ?? '') !== wanted)
          if (!page.IsTruncated || past) return out
          start = {StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType, StartRecordIdentifier: page.NextRecordIdentifier}
        }
      }),
    changeRecordSets: (input) =>
      aws('ChangeResourceRecordSets', async () => {
        const {client, sdk} = await load()
        return (await client.send(new sdk.ChangeResourceRecordSetsCommand(input))).ChangeInfo ?? {Id: '', Status: 'INSYNC', SubmittedAt: new Date()}
      }),
    getChange: (Id) =>
      aws('GetChange', async () => {
        const {client, sdk} = await load()
        return (await client.send(new sdk.GetChangeCommand({Id}))).ChangeInfo ?? {Id, Status: 'INSYNC', SubmittedAt: new Date()}
      }),
  }
}
