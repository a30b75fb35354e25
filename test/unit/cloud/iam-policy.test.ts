import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {parseCluster} from '../../../src/cluster/loader.js'
import {iamPolicy} from '../../../src/services/iam-policy.js'
import {ROOT} from '../../harness/cli.js'

const AWS_DIR = path.join(ROOT, 'src', 'cloud', 'aws')

/** What a waiter calls until it is satisfied. */
const WAITERS: Record<string, string> = {TableExists: 'DescribeTable'}

/** Permissions a call needs beyond its own action: tags written at creation. */
const IMPLIED: Record<string, string[]> = {
  'ec2:RunInstances': ['ec2:CreateTags'],
  'ec2:AllocateAddress': ['ec2:CreateTags'],
  'dynamodb:CreateTable': ['dynamodb:TagResource'],
  'ec2:CreateLaunchTemplate': ['ec2:CreateTags'],
  'elasticloadbalancing:CreateLoadBalancer': ['elasticloadbalancing:AddTags'],
  'elasticloadbalancing:CreateTargetGroup': ['elasticloadbalancing:AddTags'],
  'autoscaling:CreateAutoScalingGroup': ['autoscaling:CreateOrUpdateTags'],
}

/** Every AWS action the code under src/cloud/aws can call: SDK command classes, paginators and waiters it names. */
async function actionsInCode(): Promise<string[]> {
  // IAM's service prefix, the SDK package, the SDK.
  const sdks: [string, string, Record<string, unknown>][] = [
    ['ec2', 'client-ec2', await import('@aws-sdk/client-ec2')],
    ['route53', 'client-route-53', await import('@aws-sdk/client-route-53')],
    ['dynamodb', 'client-dynamodb', await import('@aws-sdk/client-dynamodb')],
    ['elasticloadbalancing', 'client-elastic-load-balancing-v2', await import('@aws-sdk/client-elastic-load-balancing-v2')],
    ['autoscaling', 'client-auto-scaling', await import('@aws-sdk/client-auto-scaling')],
  ]
  // Several SDKs share command names (DescribeTags): a file's calls are looked up in the SDKs it imports.
  const serviceOf = (operation: string, imported: string[]): string => {
    const found = sdks.filter(([, pkg, sdk]) => (imported.length === 0 || imported.includes(pkg)) && `${operation}Command` in sdk)
    expect(found.map(([s]) => s), `the SDK that has ${operation}Command`).to.have.length(1)
    return `${found[0][0]}:${operation}`
  }
  const actions: string[] = []
  for (const file of readdirSync(AWS_DIR).filter((f) => f.endsWith('.ts'))) {
    // Comments may name calls hactl does not make.
    const code = readFileSync(path.join(AWS_DIR, file), 'utf8').replaceAll(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    const imported = [...new Set([...code.matchAll(/['"]@aws-sdk\/(client-[a-z0-9-]+)['"]/g)].map((m) => m[1]))]
    const operations = new Set<string>()
    for (const m of code.matchAll(/\b([A-Z][A-Za-z0-9]+)Command\b/g)) operations.add(m[1])
    for (const m of code.matchAll(/\bpaginate([A-Z][A-Za-z0-9]+)\b/g)) operations.add(m[1])
    for (const m of code.matchAll(/\bwaitUntil([A-Z][A-Za-z0-9]+)\b/g)) {
      expect(WAITERS, `the call behind waitUntil${m[1]}`).to.have.property(m[1])
      operations.add(WAITERS[m[1]])
    }
    actions.push(...[...operations].map((o) => serviceOf(o, imported)))
  }
  return [...new Set([...actions, ...actions.flatMap((a) => IMPLIED[a] ?? [])])].sort()
}

describe('hactl iam-policy', function () {
  this.timeout(30_000)

  const everything = 'cluster: web\nprovider: aws\ntopology: nlb\nproxy: {config: ./haproxy.cfg}\ndns: {zone: example.com., name: www.example.com., multivalue: true}\nfailover: {lease: {table: hactl-leases}}\nfirewall: {admin: [203.0.113.0/24]}\n'

  it('grants exactly the AWS calls the code makes, and what they imply, to a cluster that uses every feature', async () => {
    const cluster = parseCluster(everything, 'hactl.yaml')
    const granted = [...new Set(iamPolicy(cluster.spec).Statement.flatMap((s) => s.Action))].sort()
    expect(granted).to.deep.equal(await actionsInCode())
  })

  it('grants the load balancer and auto scaling calls only to a cluster with topology nlb', () => {
    const cluster = parseCluster(everything.replace('topology: nlb\n', ''), 'hactl.yaml')
    const granted = iamPolicy(cluster.spec).Statement.flatMap((s) => s.Action)
    expect(granted.filter((a) => a.startsWith('elasticloadbalancing:') || a.startsWith('autoscaling:') || a === 'ec2:CreateLaunchTemplate')).to.deep.equal([])
  })

  it('grants the firewall calls only to a cluster with a firewall policy', () => {
    const cluster = parseCluster(everything.replace(/^firewall:.*\n/m, ''), 'hactl.yaml')
    const granted = iamPolicy(cluster.spec).Statement.flatMap((s) => s.Action)
    expect(granted).to.not.include('ec2:AuthorizeSecurityGroupIngress')
    expect(granted).to.not.include('ec2:ModifyInstanceAttribute')
  })
})
