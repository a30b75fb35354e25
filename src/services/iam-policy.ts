/**
 * The least-privilege IAM policy for what hactl does on AWS. Read calls are
 * allowed on all resources (EC2 describes cannot be limited by tag); every
 * change is limited to resources tagged with the cluster's name, and new
 * ones may only be created carrying that tag. The actions are exactly the
 * calls src/cloud/aws makes (a test collects them from the source), plus
 * what those calls imply: tags on create (ec2:CreateTags with RunInstances
 * and AllocateAddress, dynamodb:TagResource with CreateTable) and the
 * waiter's DescribeTable; with topology nlb, the tags of the balancer's
 * parts on create (ec2:CreateTags, elasticloadbalancing:AddTags,
 * autoscaling:CreateOrUpdateTags).
 */
import {dnsProviderOf} from '../cluster/dns.js'
import type {ClusterSpec} from '../cluster/schema.js'
import {TAG} from '../cloud/tags.js'

export interface PolicyStatement {
  Sid: string
  Effect: 'Allow'
  Action: string[]
  Resource: string | string[]
  Condition?: Record<string, Record<string, string | string[]>>
}

export interface IamPolicy {
  Version: '2012-10-17'
  Statement: PolicyStatement[]
}

export function iamPolicy(spec: ClusterSpec): IamPolicy {
  const tagged = {StringEquals: {[`aws:ResourceTag/${TAG.cluster}`]: spec.cluster}}
  const requestTagged = {StringEquals: {[`aws:RequestTag/${TAG.cluster}`]: spec.cluster}}
  const statements: PolicyStatement[] = [
    {
      Sid: 'HactlDescribe',
      Effect: 'Allow',
      Action: ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeAddresses', 'ec2:DescribeSubnets'],
      Resource: '*',
    },
    {
      Sid: 'HactlCreateTagged',
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'ec2:AllocateAddress'],
      Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:volume/*', 'arn:aws:ec2:*:*:elastic-ip/*'],
      Condition: requestTagged,
    },
    {
      Sid: 'HactlLaunchFrom',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: ['arn:aws:ec2:*::image/*', 'arn:aws:ec2:*:*:subnet/*', 'arn:aws:ec2:*:*:network-interface/*', 'arn:aws:ec2:*:*:security-group/*', 'arn:aws:ec2:*:*:key-pair/*'],
    },
    {
      Sid: 'HactlTagOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: '*',
      Condition: {StringEquals: {'ec2:CreateAction': ['RunInstances', 'AllocateAddress']}},
    },
    {
      Sid: 'HactlChangeOwn',
      Effect: 'Allow',
      Action: ['ec2:TerminateInstances', 'ec2:AssociateAddress', 'ec2:DisassociateAddress', 'ec2:ReleaseAddress'],
      Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:elastic-ip/*'],
      Condition: tagged,
    },
    {
      // topology pairs: a proxy or address of the cluster made before its pair was known gets the pair tag, and no other tag.
      Sid: 'HactlTagPairs',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:elastic-ip/*'],
      Condition: {...tagged, 'ForAllValues:StringEquals': {'aws:TagKeys': [TAG.pair]}},
    },
    {
      Sid: 'HactlAssociateNetwork',
      Effect: 'Allow',
      Action: ['ec2:AssociateAddress', 'ec2:DisassociateAddress'],
      Resource: ['arn:aws:ec2:*:*:network-interface/*'],
    },
  ]
  const dns = spec.dns
  if (dns && dnsProviderOf(spec) === 'route53' && dns.provider !== 'rfc2136' && dns.provider !== 'local') {
    const zone = dns.hostedZoneId ? `arn:aws:route53:::hostedzone/${dns.hostedZoneId}` : 'arn:aws:route53:::hostedzone/*'
    statements.push(
      {Sid: 'HactlDnsFind', Effect: 'Allow', Action: ['route53:ListHostedZonesByName', 'route53:GetChange'], Resource: '*'},
      {Sid: 'HactlDnsRecord', Effect: 'Allow', Action: ['route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets'], Resource: zone},
    )
    if (dns.multivalue) {
      // Route 53 takes no tag conditions, and CreateHealthCheck no resource: hactl itself touches only the health checks tagged with the cluster.
      statements.push(
        {Sid: 'HactlDnsHealthFind', Effect: 'Allow', Action: ['route53:ListHealthChecks', 'route53:ListTagsForResources', 'route53:CreateHealthCheck'], Resource: '*'},
        {Sid: 'HactlDnsHealthChecks', Effect: 'Allow', Action: ['route53:ChangeTagsForResource', 'route53:DeleteHealthCheck'], Resource: 'arn:aws:route53:::healthcheck/*'},
      )
    }
  }
  if (spec.topology === 'nlb') statements.push(...nlbStatements(spec.cluster))
  if (spec.firewall) statements.push(...firewallStatements(spec.cluster))
  if (spec.failover.lease) {
    statements.push({
      Sid: 'HactlLease',
      Effect: 'Allow',
      // CreateTable, DescribeTable (its waiter) and TagResource (its Tags) are `lease init`; the rest every monitor round.
      Action: ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:TagResource', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: `arn:aws:dynamodb:*:*:table/${spec.failover.lease.table}`,
    })
  }
  return {Version: '2012-10-17', Statement: statements}
}

/**
 * `hactl firewall`: describe every group; create groups and rules only
 * tagged with the cluster; change only the cluster's groups; add groups only
 * to the cluster's proxies and to backends tagged hactl:backend.
 */
function firewallStatements(cluster: string): PolicyStatement[] {
  const groups = 'arn:aws:ec2:*:*:security-group/*'
  const rules = 'arn:aws:ec2:*:*:security-group-rule/*'
  return [
    {Sid: 'HactlFirewallDescribe', Effect: 'Allow', Action: ['ec2:DescribeSecurityGroups'], Resource: '*'},
    {
      Sid: 'HactlFirewallCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateSecurityGroup'],
      Resource: groups,
      Condition: {StringEquals: {[`aws:RequestTag/${TAG.cluster}`]: cluster}},
    },
    {Sid: 'HactlFirewallInVpc', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: 'arn:aws:ec2:*:*:vpc/*'},
    {
      Sid: 'HactlFirewallTagOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: [groups, rules],
      Condition: {StringEquals: {'ec2:CreateAction': ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress']}},
    },
    {
      Sid: 'HactlFirewallRules',
      Effect: 'Allow',
      Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
      Resource: groups,
      Condition: {StringEquals: {[`aws:ResourceTag/${TAG.cluster}`]: cluster}},
    },
    {Sid: 'HactlFirewallRuleTags', Effect: 'Allow', Action: ['ec2:AuthorizeSecurityGroupIngress'], Resource: rules},
    {
      Sid: 'HactlFirewallAttachProxies',
      Effect: 'Allow',
      Action: ['ec2:ModifyInstanceAttribute'],
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: {StringEquals: {[`aws:ResourceTag/${TAG.cluster}`]: cluster}},
    },
    {
      Sid: 'HactlFirewallAttachBackends',
      Effect: 'Allow',
      Action: ['ec2:ModifyInstanceAttribute'],
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: {Null: {[`aws:ResourceTag/${TAG.backend}`]: 'false'}},
    },
    // The groups an instance keeps are named in the same call, whoever made them.
    {Sid: 'HactlFirewallAttachGroups', Effect: 'Allow', Action: ['ec2:ModifyInstanceAttribute'], Resource: groups},
  ]
}

/**
 * topology nlb: describe everything (neither ELB nor Auto Scaling describes
 * can be limited by tag); create the launch template, load balancer, target
 * groups and scaling group only carrying the cluster's tag; change only the
 * ones that carry it.
 */
function nlbStatements(cluster: string): PolicyStatement[] {
  const requestTagged = {StringEquals: {[`aws:RequestTag/${TAG.cluster}`]: cluster}}
  const tagged = {StringEquals: {[`aws:ResourceTag/${TAG.cluster}`]: cluster}}
  const elb = ['arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*']
  const group = 'arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*'
  return [
    {
      Sid: 'HactlNlbDescribe',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeLaunchTemplates',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetHealth',
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeLifecycleHooks',
      ],
      Resource: '*',
    },
    {Sid: 'HactlNlbTemplate', Effect: 'Allow', Action: ['ec2:CreateLaunchTemplate'], Resource: 'arn:aws:ec2:*:*:launch-template/*', Condition: requestTagged},
    {
      Sid: 'HactlNlbTemplateTags',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: 'arn:aws:ec2:*:*:launch-template/*',
      Condition: {StringEquals: {'ec2:CreateAction': 'CreateLaunchTemplate'}},
    },
    // The group launches from the template as the caller may: RunInstances (HactlCreateTagged, HactlLaunchFrom) on the template too.
    {Sid: 'HactlNlbLaunchFromTemplate', Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: 'arn:aws:ec2:*:*:launch-template/*', Condition: tagged},
    {Sid: 'HactlNlbCreate', Effect: 'Allow', Action: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'], Resource: elb, Condition: requestTagged},
    {
      Sid: 'HactlNlbTagOnCreate',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:AddTags'],
      Resource: elb,
      Condition: {StringEquals: {'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup']}},
    },
    {
      Sid: 'HactlNlbChangeOwn',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:CreateListener',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
      ],
      Resource: elb,
      Condition: tagged,
    },
    {Sid: 'HactlNlbGroupCreate', Effect: 'Allow', Action: ['autoscaling:CreateAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'], Resource: group, Condition: requestTagged},
    {
      Sid: 'HactlNlbGroupChange',
      Effect: 'Allow',
      Action: [
        'autoscaling:UpdateAutoScalingGroup',
        'autoscaling:AttachLoadBalancerTargetGroups',
        'autoscaling:TerminateInstanceInAutoScalingGroup',
        // The launch hook, and admitting a new proxy through it once the source config is on it.
        'autoscaling:PutLifecycleHook',
        'autoscaling:CompleteLifecycleAction',
      ],
      Resource: group,
      Condition: tagged,
    },
  ]
}
