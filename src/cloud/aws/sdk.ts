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

import {awsClientConfig, type AwsClientOptions} from './client-config.js'
import {aws} from './errors.js'
import {route53Adapter, type IRoute53Client} from './route53-client.js'

export type {IRoute53Client} from './route53-client.js'

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
