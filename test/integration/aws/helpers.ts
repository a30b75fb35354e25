import {DescribeAddressesCommand, DescribeInstancesCommand, EC2Client, StopInstancesCommand, type Address, type Instance} from '@aws-sdk/client-ec2'
import {CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client} from '@aws-sdk/client-route-53'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Moto} from '../../harness/moto.js'

export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c']

export function clusterYaml(name: string, zoneId: string, extra = ''): string {
  return `cluster: ${name}
provider: aws
region: us-east-1
proxy:
  engine: haproxy
  config: ./haproxy.cfg
  instances: {count: 3, zones: [${ZONES.join(', ')}], image: ami-12c6146b, type: t3.small}
addresses: {count: 3}
dns: {zone: example.com., name: www.example.com., ttl: 30, hostedZoneId: ${zoneId}}
health: {proxy: {type: ec2}}
${extra}`
}

/** A folder with a cluster file for `name` and a starter haproxy config. */
export async function clusterDir(name: string, zoneId: string, extra = ''): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-aws-'))
  await writeFile(path.join(dir, 'hactl.yaml'), clusterYaml(name, zoneId, extra))
  await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n')
  return dir
}

/** SDK clients of the test itself, to describe the cloud as it is. */
export function inspect(moto: Moto): {ec2: EC2Client; r53: Route53Client} {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const config = {endpoint: moto.endpoint, region: 'us-east-1', credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}
  return {ec2: new EC2Client(config), r53: new Route53Client(config)}
}

/** Stop an instance behind hactl's back, as an outage or an operator would (hactl itself never stops one). */
export async function stopInstance(moto: Moto, id: string): Promise<void> {
  await inspect(moto).ec2.send(new StopInstancesCommand({InstanceIds: [id]}))
}

export async function createZone(r53: Route53Client, name = 'example.com.'): Promise<string> {
  const out = await r53.send(new CreateHostedZoneCommand({Name: name, CallerReference: `${name}-${Date.now()}-${Math.random()}`}))
  return (out.HostedZone?.Id ?? '').replace('/hostedzone/', '')
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
