/**
 * The Elastic Load Balancing v2 calls of topology nlb, behind a narrow
 * interface with the SDK's own types. The SDK loads on the first call: only
 * an nlb cluster ever makes one.
 */
import type {
  CreateListenerCommandInput,
  CreateLoadBalancerCommandInput,
  CreateTargetGroupCommandInput,
  Listener,
  LoadBalancer,
  TargetDescription,
  TargetGroup,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import {lazyClient, type AwsClientOptions} from './client-config.js'
import {aws} from './errors.js'

export interface IElbv2Client {
  /** Every load balancer of the account and region (paginated, collected). */
  describeLoadBalancers(): Promise<LoadBalancer[]>
  /** Every target group of the account and region (paginated, collected). */
  describeTargetGroups(): Promise<TargetGroup[]>
  /** The tags of these resources, by ARN (asked twenty at a time, as the API allows). */
  describeTags(arns: string[]): Promise<Map<string, Record<string, string>>>
  describeListeners(loadBalancerArn: string): Promise<Listener[]>
  describeLoadBalancerAttributes(loadBalancerArn: string): Promise<Record<string, string>>
  describeTargetGroupAttributes(targetGroupArn: string): Promise<Record<string, string>>
  describeTargetHealth(targetGroupArn: string): Promise<TargetHealthDescription[]>
  createLoadBalancer(input: CreateLoadBalancerCommandInput): Promise<LoadBalancer>
  createTargetGroup(input: CreateTargetGroupCommandInput): Promise<TargetGroup>
  createListener(input: CreateListenerCommandInput): Promise<Listener>
  modifyLoadBalancerAttributes(loadBalancerArn: string, attributes: Record<string, string>): Promise<void>
  modifyTargetGroupAttributes(targetGroupArn: string, attributes: Record<string, string>): Promise<void>
  registerTargets(targetGroupArn: string, targets: TargetDescription[]): Promise<void>
  deregisterTargets(targetGroupArn: string, targets: TargetDescription[]): Promise<void>
}

const asRecord = (attributes: {Key?: string; Value?: string}[] | undefined): Record<string, string> =>
  Object.fromEntries((attributes ?? []).filter((a) => a.Key).map((a) => [a.Key as string, a.Value ?? '']))
const asList = (attributes: Record<string, string>): {Key: string; Value: string}[] => Object.entries(attributes).map(([Key, Value]) => ({Key, Value}))

export function elbv2Adapter(options: AwsClientOptions): IElbv2Client {
  const load = lazyClient(async () => import('@aws-sdk/client-elastic-load-balancing-v2'), (sdk, config) => new sdk.ElasticLoadBalancingV2Client(config), options)
  return {
    describeLoadBalancers: () =>
      aws('DescribeLoadBalancers', async () => {
        const {client, sdk} = await load()
        const out: LoadBalancer[] = []
        for await (const page of sdk.paginateDescribeLoadBalancers({client}, {})) out.push(...(page.LoadBalancers ?? []))
        return out
      }),
    describeTargetGroups: () =>
      aws('DescribeTargetGroups', async () => {
        const {client, sdk} = await load()
        const out: TargetGroup[] = []
        for await (const page of sdk.paginateDescribeTargetGroups({client}, {})) out.push(...(page.TargetGroups ?? []))
        return out
      }),
    describeTags: (arns) =>
      aws('DescribeTags', async () => {
        const {client, sdk} = await load()
        const {DescribeTagsCommand} = sdk
        const out = new Map<string, Record<string, string>>()
        for (let i = 0; i < arns.length; i += 20) {
          const page = await client.send(new DescribeTagsCommand({ResourceArns: arns.slice(i, i + 20)}))
          for (const d of page.TagDescriptions ?? []) if (d.ResourceArn) out.set(d.ResourceArn, asRecord(d.Tags))
        }
        return out
      }),
    describeListeners: (LoadBalancerArn) =>
      aws('DescribeListeners', async () => {
        const {client, sdk} = await load()
        const out: Listener[] = []
        for await (const page of sdk.paginateDescribeListeners({client}, {LoadBalancerArn})) out.push(...(page.Listeners ?? []))
        return out
      }),
    describeLoadBalancerAttributes: (LoadBalancerArn) =>
      aws('DescribeLoadBalancerAttributes', async () => {
        const {client, sdk} = await load()
        const {DescribeLoadBalancerAttributesCommand} = sdk
        return asRecord((await client.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerArn}))).Attributes)
      }),
    describeTargetGroupAttributes: (TargetGroupArn) =>
      aws('DescribeTargetGroupAttributes', async () => {
        const {client, sdk} = await load()
        const {DescribeTargetGroupAttributesCommand} = sdk
        return asRecord((await client.send(new DescribeTargetGroupAttributesCommand({TargetGroupArn}))).Attributes)
      }),
    describeTargetHealth: (TargetGroupArn) =>
      aws('DescribeTargetHealth', async () => {
        const {client, sdk} = await load()
        const {DescribeTargetHealthCommand} = sdk
        return (await client.send(new DescribeTargetHealthCommand({TargetGroupArn}))).TargetHealthDescriptions ?? []
      }),
    createLoadBalancer: (input) =>
      aws('CreateLoadBalancer', async () => {
        const {client, sdk} = await load()
        const {CreateLoadBalancerCommand} = sdk
        return (await client.send(new CreateLoadBalancerCommand(input))).LoadBalancers?.[0] ?? {}
      }),
    createTargetGroup: (input) =>
      aws('CreateTargetGroup', async () => {
        const {client, sdk} = await load()
        const {CreateTargetGroupCommand} = sdk
        return (await client.send(new CreateTargetGroupCommand(input))).TargetGroups?.[0] ?? {}
      }),
    createListener: (input) =>
      aws('CreateListener', async () => {
        const {client, sdk} = await load()
        const {CreateListenerCommand} = sdk
        return (await client.send(new CreateListenerCommand(input))).Listeners?.[0] ?? {}
      }),
    modifyLoadBalancerAttributes: (LoadBalancerArn, attributes) =>
      aws('ModifyLoadBalancerAttributes', async () => {
        const {client, sdk} = await load()
        const {ModifyLoadBalancerAttributesCommand} = sdk
        await client.send(new ModifyLoadBalancerAttributesCommand({LoadBalancerArn, Attributes: asList(attributes)}))
      }),
    modifyTargetGroupAttributes: (TargetGroupArn, attributes) =>
      aws('ModifyTargetGroupAttributes', async () => {
        const {client, sdk} = await load()
        const {ModifyTargetGroupAttributesCommand} = sdk
        await client.send(new ModifyTargetGroupAttributesCommand({TargetGroupArn, Attributes: asList(attributes)}))
      }),
    registerTargets: (TargetGroupArn, Targets) =>
      aws('RegisterTargets', async () => {
        const {client, sdk} = await load()
        const {RegisterTargetsCommand} = sdk
        await client.send(new RegisterTargetsCommand({TargetGroupArn, Targets}))
      }),
    deregisterTargets: (TargetGroupArn, Targets) =>
      aws('DeregisterTargets', async () => {
        const {client, sdk} = await load()
        const {DeregisterTargetsCommand} = sdk
        await client.send(new DeregisterTargetsCommand({TargetGroupArn, Targets}))
      }),
  }
}
