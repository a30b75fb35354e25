import {DescribeAddressesCommand, DescribeInstancesCommand, StopInstancesCommand, type Address, type EC2Client, type Instance} from '@aws-sdk/client-ec2'
import {ListResourceRecordSetsCommand, type Route53Client} from '@aws-sdk/client-route-53'

import {inspect, type Moto} from '../../harness/moto.js'

export {clusterDir, clusterYaml, createZone, inspect, ZONES} from '../../harness/moto.js'

/** Stop an instance behind hactl's back, as an outage or an operator would (hactl itself never stops one). */
export async function stopInstance(moto: Moto, id: string): Promise<void> {
  await inspect(moto).ec2.send(new StopInstancesCommand({InstanceIds: [id]}))
}

export async function clusterInstances(ec2: EC2Client, cluster: string, states = ['pending', 'running', 'stopping', 'stopped']): Promise<Instance[]> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        {Name: 'tag:hactl:cluster', Values: [cluster]},
        {Name: 'instance-state-name', Values: states},
      ],
    }),
  )
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])
}

export async function clusterAddresses(ec2: EC2Client, cluster: string): Promise<Address[]> {
  const out = await ec2.send(new DescribeAddressesCommand({Filters: [{Name: 'tag:hactl:cluster', Values: [cluster]}]}))
  return out.Addresses ?? []
}

export async function aRecord(r53: Route53Client, zoneId: string, name = 'www.example.com.'): Promise<string[]> {
  const out = await r53.send(new ListResourceRecordSetsCommand({HostedZoneId: zoneId, StartRecordName: name, StartRecordType: 'A'}))
  const set = (out.ResourceRecordSets ?? []).find((s) => s.Name === name && s.Type === 'A')
  return (set?.ResourceRecords ?? []).map((r) => r.Value as string).sort()
}

export function tag(tags: {Key?: string; Value?: string}[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value
}
