import {AutoScalingClient, CompleteLifecycleActionCommand, DescribeAutoScalingGroupsCommand} from '@aws-sdk/client-auto-scaling'
import {mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {autoScalingAdapter} from '../../../src/cloud/aws/autoscaling-client.js'
import {AwsNlb, type NlbClients} from '../../../src/cloud/aws/nlb.js'
import {parseCluster} from '../../../src/cluster/loader.js'

/**
 * What moto does not model: instances held in Pending:Wait by a launch hook,
 * and CompleteLifecycleAction. The Auto Scaling client is mocked for exactly
 * those answers; the adapter and AwsNlb above it are the real code.
 */
const mockAutoScaling = () => mockClient(AutoScalingClient)

describe('AWS scaling group: instances the launch hook holds, and admitting them', () => {
  // Made in before(), not while mocha loads the files: mockClient patches the client class for the whole
  // process, and the moto tests that run before this file use the real one.
  let mock: ReturnType<typeof mockAutoScaling>
  const saved = {...process.env}
  before(() => {
    mock = mockAutoScaling()
    Object.assign(process.env, {AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true'})
  })
  after(() => {
    mock.restore()
    process.env = saved
  })
  beforeEach(() => mock.reset())

  const nlb = (): AwsNlb => {
    const spec = parseCluster('cluster: web\nprovider: aws\ntopology: nlb\nproxy: {config: ./haproxy.cfg}\n', 'hactl.yaml').spec
    const clients = {autoscaling: autoScalingAdapter({region: 'us-east-1', retry: {maxAttempts: 1}}), elbv2: {}, ec2: {}} as unknown as NlbClients
    return new AwsNlb(spec, clients)
  }

  it('pendingLaunches lists the group\'s instances in Pending:Wait only', async () => {
    mock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'hactl-web',
          MinSize: 3,
          MaxSize: 3,
          DesiredCapacity: 3,
          CreatedTime: new Date(),
          DefaultCooldown: 300,
          AvailabilityZones: ['us-east-1a'],
          HealthCheckType: 'ELB',
          Instances: [
            {InstanceId: 'i-1', LifecycleState: 'InService', AvailabilityZone: 'us-east-1a', HealthStatus: 'Healthy', ProtectedFromScaleIn: false},
            {InstanceId: 'i-2', LifecycleState: 'Pending:Wait', AvailabilityZone: 'us-east-1a', HealthStatus: 'Healthy', ProtectedFromScaleIn: false},
            {InstanceId: 'i-3', LifecycleState: 'Pending', AvailabilityZone: 'us-east-1a', HealthStatus: 'Healthy', ProtectedFromScaleIn: false},
          ],
        },
      ],
    })
    expect(await nlb().pendingLaunches()).to.deep.equal(['i-2'])
  })

  it('admitLaunch completes the hook\'s action for that instance: CONTINUE, or ABANDON', async () => {
    mock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [{AutoScalingGroupName: 'hactl-web', MinSize: 1, MaxSize: 1, DesiredCapacity: 1, CreatedTime: new Date(), DefaultCooldown: 300, AvailabilityZones: ['us-east-1a'], HealthCheckType: 'ELB'}],
    })
    mock.on(CompleteLifecycleActionCommand).resolves({})
    const group = nlb()
    await group.admitLaunch('i-2', 'continue')
    await group.admitLaunch('i-3', 'abandon')
    expect(mock.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input)).to.deep.equal([
      {AutoScalingGroupName: 'hactl-web', LifecycleHookName: 'hactl-web-push', InstanceId: 'i-2', LifecycleActionResult: 'CONTINUE'},
      {AutoScalingGroupName: 'hactl-web', LifecycleHookName: 'hactl-web-push', InstanceId: 'i-3', LifecycleActionResult: 'ABANDON'},
    ])
  })

  it('--dry-run names the call', () => {
    const show = (api: string, input: unknown): string => `${api} ${JSON.stringify(input)}`
    expect(nlb().explain({op: 'admitLaunch', instanceId: 'i-2', result: 'continue'}, show)).to.deep.equal([
      'autoscaling:CompleteLifecycleAction {"AutoScalingGroupName":"hactl-web","LifecycleHookName":"hactl-web-push","InstanceId":"i-2","LifecycleActionResult":"CONTINUE"}',
    ])
  })
})
