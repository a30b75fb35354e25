import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  RunInstancesCommand,
  type EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2'
import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'
import {sharedMoto, type Moto} from '../../harness/moto.js'
import {clusterDir, clusterInstances, createZone, inspect} from './helpers.js'

const FIREWALL = 'firewall: {public: [80, 443], admin: [198.51.100.0/24]}\nbackends: {api: {port: 9000}}\n'

function config(untaggedBackend: string): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend www
    bind 127.0.0.1:0
    default_backend app

backend app
    server b2 ${untaggedBackend}:8080 check
`
}

/** Each ingress rule as `proto/port source (description)`, sorted. */
function rules(group: SecurityGroup | undefined, proxiesGroup?: string): string[] {
  const out: string[] = []
  for (const p of group?.IpPermissions ?? []) {
    const port = `${p.IpProtocol}/${p.FromPort}`
    for (const r of p.IpRanges ?? []) out.push(`${port} ${r.CidrIp}${r.Description ? ` (${r.Description})` : ''}`)
    for (const r of p.Ipv6Ranges ?? []) out.push(`${port} ${r.CidrIpv6}${r.Description ? ` (${r.Description})` : ''}`)
    for (const g of p.UserIdGroupPairs ?? []) out.push(`${port} ${g.GroupId === proxiesGroup ? 'proxies' : g.GroupId}`)
  }
  return out.sort()
}

async function hactlGroups(ec2: EC2Client): Promise<Record<string, SecurityGroup>> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:hactl:cluster', Values: ['shop']}]}))
  return Object.fromEntries((out.SecurityGroups ?? []).map((g) => [g.Tags?.find((t) => t.Key === 'hactl:role')?.Value ?? '', g]))
}

describe('firewall plan, apply and audit against moto', function () {
  this.timeout(180_000)
  let moto: Moto
  let dir: string
  let ec2: EC2Client
  let quiet: string
  const ids: {proxies: string[]; tagged: string; untagged: string} = {proxies: [], tagged: '', untagged: ''}

  before(async () => {
    moto = await sharedMoto()
    ;({ec2} = inspect(moto))
    dir = await clusterDir('shop', await createZone(inspect(moto).r53), FIREWALL)
    // A group with no ingress at all, as a VPC's instances usually start with one of their own.
    quiet = (await ec2.send(new CreateSecurityGroupCommand({GroupName: 'quiet', Description: 'no ingress'}))).GroupId as string
    const launch = async (tags: Record<string, string>, count = 1): Promise<string[]> => {
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          MinCount: count,
          MaxCount: count,
          SecurityGroupIds: [quiet],
          TagSpecifications: [{ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({Key, Value}))}],
        }),
      )
      return (out.Instances ?? []).map((i) => i.InstanceId as string)
    }
    ids.proxies = await launch({'hactl:cluster': 'shop', 'hactl:role': 'proxy'}, 2)
    ;[ids.tagged] = await launch({'hactl:backend': 'api', 'hactl:port': '9000'})
    ;[ids.untagged] = await launch({Name: 'legacy-app'})
    const all = await clusterInstances(ec2, 'shop')
    expect(all).to.have.length(2)
    const {Reservations} = await ec2.send(new DescribeInstancesCommand({InstanceIds: [ids.untagged]}))
    await writeFile(path.join(dir, 'haproxy.cfg'), config(Reservations?.[0].Instances?.[0].PrivateIpAddress as string))
  })
  after(async () => moto?.stop())

  it('plan prints the groups, rules and attachments and changes nothing; apply makes them; a re-run changes nothing', async () => {
    const plan = await hactl(['firewall', 'plan'], {cwd: dir, env: moto.env})
    expect(plan.code, plan.stderr).to.equal(0)
    expect(plan.stdout).to.include("plan: create the proxies' group in vpc-")
    expect(plan.stdout).to.include("plan: allow tcp/8080 from the proxies' group into the backends' group")
    expect(plan.stdout).to.include(`plan: add the backends' group to ${ids.untagged}`)
    expect(plan.stdout).to.include('would call ec2:CreateSecurityGroup {"GroupName":"hactl-shop-proxies"')
    expect(plan.stdout).to.include('would make 14 changes')
    expect(await hactlGroups(ec2)).to.deep.equal({})

    const perms = await hactl(['firewall', 'apply', '--dry-run', '--check-permissions'], {cwd: dir, env: moto.env})
    expect(perms.code, perms.stderr).to.equal(0)
    expect(perms.stdout).to.include('allowed ec2:CreateSecurityGroup')
    expect(await hactlGroups(ec2)).to.deep.equal({})

    const apply = await hactl(['firewall', 'apply', '--json'], {cwd: dir, env: moto.env})
    expect(apply.code, apply.stderr).to.equal(0)
    expect(JSON.parse(apply.stdout)).to.include({changed: true, summary: 'made 14 changes'})

    const groups = await hactlGroups(ec2)
    const proxiesGroup = groups['proxy-firewall'].GroupId as string
    expect(rules(groups['proxy-firewall'])).to.deep.equal([
      'tcp/22 198.51.100.0/24 (hactl: ssh from admin 198.51.100.0/24)',
      'tcp/443 0.0.0.0/0 (hactl: public 443)',
      'tcp/443 ::/0 (hactl: public 443)',
      'tcp/80 0.0.0.0/0 (hactl: public 80)',
      'tcp/80 ::/0 (hactl: public 80)',
    ])
    expect(rules(groups['backend-firewall'], proxiesGroup)).to.deep.equal([
      'tcp/22 198.51.100.0/24 (hactl: ssh from admin 198.51.100.0/24)',
      'tcp/8080 proxies',
      'tcp/9000 proxies',
    ])
    const attached = async (id: string): Promise<string[]> => {
      const out = await ec2.send(new DescribeInstancesCommand({InstanceIds: [id]}))
      return (out.Reservations?.[0].Instances?.[0].SecurityGroups ?? []).map((g) => g.GroupId as string).sort()
    }
    for (const id of ids.proxies) expect(await attached(id)).to.deep.equal([proxiesGroup, quiet].sort())
    for (const id of [ids.tagged, ids.untagged]) expect(await attached(id)).to.deep.equal([groups['backend-firewall'].GroupId as string, quiet].sort())

    const again = await hactl(['firewall', 'apply'], {cwd: dir, env: moto.env})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.include('the firewall already matches the policy: nothing to change')

    const audit = await hactl(['firewall', 'audit'], {cwd: dir, env: moto.env})
    expect(audit.code, audit.stdout + audit.stderr).to.equal(0)
    expect(audit.stdout).to.include('no findings: 2 proxies and 2 backends checked')
  })

  it('audit finds a backend open to the world, a proxy open outside the policy and SSH open to the world (exit 5, --json)', async () => {
    const groups = await hactlGroups(ec2)
    const proxiesGroup = groups['proxy-firewall'].GroupId as string
    const allow = (GroupId: string, port: number, CidrIp: string) =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({GroupId, IpPermissions: [{IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{CidrIp}]}]}))
    await allow(quiet, 8080, '0.0.0.0/0')
    await allow(proxiesGroup, 8443, '192.0.2.0/24')
    await allow(groups['backend-firewall'].GroupId as string, 22, '0.0.0.0/0')

    const text = await hactl(['firewall', 'audit'], {cwd: dir, env: moto.env})
    expect(text.code, text.stderr).to.equal(5)
    expect(text.stdout).to.include(`backend-open: ${quiet} (quiet) tcp/8080 from 0.0.0.0/0`)
    expect(text.stdout).to.include(`proxy-open: ${proxiesGroup} (hactl-shop-proxies) tcp/8443 from 192.0.2.0/24`)
    expect(text.stdout).to.include(`proxy-open: ${quiet} (quiet) tcp/8080 from 0.0.0.0/0`)
    expect(text.stdout).to.include(`ssh-world: ${groups['backend-firewall'].GroupId} (hactl-shop-backends) tcp/22 from 0.0.0.0/0`)

    const json = await hactl(['firewall', 'audit', '--json'], {cwd: dir, env: moto.env})
    expect(json.code).to.equal(5)
    const report = JSON.parse(json.stdout) as {ok: boolean; findings: {kind: string; instances: string[]}[]}
    expect(report.ok).to.equal(false)
    // The hand-made 8080 rule is on a group the proxies have too: open outside the policy there as well.
    expect(report.findings.map((f) => `${f.kind} ${f.instances.join(',')}`)).to.have.members([
      `backend-open ${[ids.tagged, ids.untagged].sort().join(',')}`,
      `proxy-open ${[...ids.proxies].sort().join(',')}`,
      `proxy-open ${[...ids.proxies].sort().join(',')}`,
      `ssh-world ${[ids.tagged, ids.untagged].sort().join(',')}`,
    ])
  })

  it('a dropped admin network is revoked from both groups; rules hactl did not make stay', async () => {
    const file = path.join(dir, 'hactl.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace('198.51.100.0/24', '203.0.113.0/24'))
    const r = await hactl(['firewall', 'apply'], {cwd: dir, env: moto.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.include('made 4 changes')
    expect(r.stderr).to.include("revoke tcp/22 from 198.51.100.0/24 (hactl: ssh from admin 198.51.100.0/24) from the proxies' group")
    const groups = await hactlGroups(ec2)
    expect(rules(groups['proxy-firewall'])).to.include.members(['tcp/22 203.0.113.0/24 (hactl: ssh from admin 203.0.113.0/24)', 'tcp/8443 192.0.2.0/24'])
    expect(rules(groups['proxy-firewall']).join('\n')).to.not.include('198.51.100.0/24')
    expect(rules(groups['backend-firewall'])).to.include('tcp/22 0.0.0.0/0')
  })

  it('iam-policy covers every call the firewall makes, changes limited to the cluster tag', async () => {
    const r = await hactl(['iam-policy', '--json'], {cwd: dir, env: moto.env})
    expect(r.code, r.stderr).to.equal(0)
    const statements = (JSON.parse(r.stdout) as {Statement: {Sid: string; Action: string[]}[]}).Statement
    const actions = statements.flatMap((s) => s.Action)
    for (const a of ['ec2:DescribeSecurityGroups', 'ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:ModifyInstanceAttribute']) {
      expect(actions).to.include(a)
    }
    expect(JSON.stringify(statements.find((s) => s.Sid === 'HactlFirewallRules'))).to.include('"aws:ResourceTag/hactl:cluster":"shop"')
  })

  it('refuses a bad policy with its line, exit 2, nothing changed; a sandbox cluster that is not running says so', async () => {
    const file = path.join(dir, 'hactl.yaml')
    const good = await readFile(file, 'utf8')
    await writeFile(file, good.replace('admin: [203.0.113.0/24]', 'admin: [203.0.113.7]'))
    const bad = await hactl(['firewall', 'apply'], {cwd: dir, env: moto.env})
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/hactl\.yaml:\d+:\d+: firewall\.admin\.0: "203\.0\.113\.7" is not a CIDR/)

    await writeFile(file, good.replace('provider: aws', 'provider: local'))
    const local = await hactl(['firewall', 'plan'], {cwd: dir, env: moto.env})
    expect(local.code).to.equal(7)
    expect(local.stderr).to.include('no sandbox is running')
    await writeFile(file, good)
  })
})
