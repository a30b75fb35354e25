/**
 * The EC2 calls of topology nlb: the launch template the Auto Scaling group
 * launches proxies from, and the subnets of the zones when the cluster names
 * zones only (a Network Load Balancer is placed in subnets).
 */
import {
  CreateLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type CreateLaunchTemplateCommandInput,
  type Filter,
  type LaunchTemplate,
  type Subnet,
} from '@aws-sdk/client-ec2'

import {awsClientConfig, type AwsClientOptions} from './client-config.js'
import {aws} from './errors.js'

export interface ILaunchTemplateClient {
  describeLaunchTemplates(filters: Filter[]): Promise<LaunchTemplate[]>
  createLaunchTemplate(input: CreateLaunchTemplateCommandInput): Promise<LaunchTemplate>
  /** Subnets by filters (default subnets of zones), or by ids when given. */
  describeSubnets(query: {filters?: Filter[]; ids?: string[]}): Promise<Subnet[]>
}

export function launchTemplateAdapter(options: AwsClientOptions): ILaunchTemplateClient {
  const client = new EC2Client(awsClientConfig(options))
  return {
    describeLaunchTemplates: (Filters) =>
      aws('DescribeLaunchTemplates', async () => (await client.send(new DescribeLaunchTemplatesCommand({Filters}))).LaunchTemplates ?? []),
    createLaunchTemplate: (input) => aws('CreateLaunchTemplate', async () => (await client.send(new CreateLaunchTemplateCommand(input))).LaunchTemplate ?? {}),
    describeSubnets: ({filters, ids}) =>
      aws('DescribeSubnets', async () => (await client.send(new DescribeSubnetsCommand(ids ? {SubnetIds: ids} : {Filters: filters}))).Subnets ?? []),
  }
}
