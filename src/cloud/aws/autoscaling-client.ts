/**
 * The Auto Scaling calls of topology nlb, behind a narrow interface with the
 * SDK's own types. The SDK loads on the first call: only an nlb cluster ever
 * makes one.
 */
import type {AutoScalingGroup, CreateAutoScalingGroupCommandInput, Filter, LifecycleHook, PutLifecycleHookCommandInput} from '@aws-sdk/client-auto-scaling'

import {lazyClient, type AwsClientOptions} from './client-config.js'
import {aws} from './errors.js'

export interface IAutoScalingClient {
  /** The groups that match these tag filters (paginated, collected). */
  describeAutoScalingGroups(filters: Filter[]): Promise<AutoScalingGroup[]>
  createAutoScalingGroup(input: CreateAutoScalingGroupCommandInput): Promise<void>
  /** Only the sizes given change. */
  setSize(name: string, sizes: {min?: number; max?: number; desired?: number}): Promise<void>
  attachTargetGroups(name: string, targetGroupArns: string[]): Promise<void>
  terminateInstance(instanceId: string, decrement: boolean): Promise<void>
  describeLifecycleHooks(name: string): Promise<LifecycleHook[]>
  /** Creates the hook, or updates the one of that name. */
  putLifecycleHook(input: PutLifecycleHookCommandInput): Promise<void>
  /** Ends an instance's wait on a hook: CONTINUE lets it go on (into the target groups), ABANDON has it terminated. */
  completeLifecycleAction(input: {group: string; hook: string; instanceId: string; result: 'ABANDON' | 'CONTINUE'}): Promise<void>
}

export function autoScalingAdapter(options: AwsClientOptions): IAutoScalingClient {
  const load = lazyClient(async () => import('@aws-sdk/client-auto-scaling'), (sdk, config) => new sdk.AutoScalingClient(config), options)
  return {
    describeAutoScalingGroups: (Filters) =>
      aws('DescribeAutoScalingGroups', async () => {
        const {client, sdk} = await load()
        const out: AutoScalingGroup[] = []
        for await (const page of sdk.paginateDescribeAutoScalingGroups({client}, {Filters})) out.push(...(page.AutoScalingGroups ?? []))
        return out
      }),
    createAutoScalingGroup: (input) =>
      aws('CreateAutoScalingGroup', async () => {
        const {client, sdk} = await load()
        const {CreateAutoScalingGroupCommand} = sdk
        await client.send(new CreateAutoScalingGroupCommand(input))
      }),
    setSize: (AutoScalingGroupName, {desired, max, min}) =>
      aws('UpdateAutoScalingGroup', async () => {
        const {client, sdk} = await load()
        const {UpdateAutoScalingGroupCommand} = sdk
        await client.send(new UpdateAutoScalingGroupCommand({AutoScalingGroupName, MinSize: min, MaxSize: max, DesiredCapacity: desired}))
      }),
    attachTargetGroups: (AutoScalingGroupName, TargetGroupARNs) =>
      aws('AttachLoadBalancerTargetGroups', async () => {
        const {client, sdk} = await load()
        const {AttachLoadBalancerTargetGroupsCommand} = sdk
        await client.send(new AttachLoadBalancerTargetGroupsCommand({AutoScalingGroupName, TargetGroupARNs}))
      }),
    terminateInstance: (InstanceId, ShouldDecrementDesiredCapacity) =>
      aws('TerminateInstanceInAutoScalingGroup', async () => {
        const {client, sdk} = await load()
        const {TerminateInstanceInAutoScalingGroupCommand} = sdk
        await client.send(new TerminateInstanceInAutoScalingGroupCommand({InstanceId, ShouldDecrementDesiredCapacity}))
      }),
    describeLifecycleHooks: (AutoScalingGroupName) =>
      aws('DescribeLifecycleHooks', async () => {
        const {client, sdk} = await load()
        const {DescribeLifecycleHooksCommand} = sdk
        return (await client.send(new DescribeLifecycleHooksCommand({AutoScalingGroupName}))).LifecycleHooks ?? []
      }),
    putLifecycleHook: (input) =>
      aws('PutLifecycleHook', async () => {
        const {client, sdk} = await load()
        const {PutLifecycleHookCommand} = sdk
        await client.send(new PutLifecycleHookCommand(input))
      }),
    completeLifecycleAction: ({group, hook, instanceId, result}) =>
      aws('CompleteLifecycleAction', async () => {
        const {client, sdk} = await load()
        const {CompleteLifecycleActionCommand} = sdk
        await client.send(new CompleteLifecycleActionCommand({AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId, LifecycleActionResult: result}))
      }),
  }
}
