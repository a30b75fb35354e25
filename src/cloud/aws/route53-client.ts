/**
 * The Route 53 calls hactl makes, behind a narrow interface with the SDK's
 * own types. Apart from the EC2 client so a cluster that only keeps its DNS
 * in Route 53 (a static one) never loads the EC2 SDK.
 */
import type {ChangeInfo, ChangeResourceRecordSetsCommandInput, CreateHealthCheckCommandInput, HealthCheck, HostedZone, ResourceRecordSet} from '@aws-sdk/client-route-53'

import {absoluteName as absolute} from '../dns-name.js'
import {lazyClient, type AwsClientOptions} from './client-config.js'
import {aws} from './errors.js'

export interface IRoute53Client {
  findHostedZone(dnsName: string): Promise<HostedZone | undefined>
  /** The record sets of `name` (exact match) in a zone. */
  listRecordSets(hostedZoneId: string, name: string): Promise<ResourceRecordSet[]>
  changeRecordSets(input: ChangeResourceRecordSetsCommandInput): Promise<ChangeInfo>
  getChange(id: string): Promise<ChangeInfo>
  /** Every health check of the account (paginated, collected). */
  listHealthChecks(): Promise<HealthCheck[]>
  /** The tags of these health checks, by id (asked ten at a time, as the API allows). */
  healthCheckTags(ids: string[]): Promise<Map<string, Record<string, string>>>
  /** The new health check (its Id). */
  createHealthCheck(input: CreateHealthCheckCommandInput): Promise<HealthCheck>
  tagHealthCheck(id: string, tags: Record<string, string>): Promise<void>
  deleteHealthCheck(id: string): Promise<void>
}

/** Route 53's SDK loads on the first DNS call: most commands never make one. */
export function route53Adapter(options: AwsClientOptions): IRoute53Client {
  const load = lazyClient(async () => import('@aws-sdk/client-route-53'), (sdk, config) => new sdk.Route53Client(config), options)
  return {
    findHostedZone: (dnsName) =>
      aws('ListHostedZonesByName', async () => {
        const {client, sdk} = await load()
        const {ListHostedZonesByNameCommand} = sdk
        const wanted = absolute(dnsName)
        const out = await client.send(new ListHostedZonesByNameCommand({DNSName: wanted, MaxItems: 10}))
        return (out.HostedZones ?? []).find((z) => absolute(z.Name ?? '') === wanted && !z.Config?.PrivateZone)
      }),
    listRecordSets: (HostedZoneId, name) =>
      aws('ListResourceRecordSets', async () => {
        const {client, sdk} = await load()
        const {ListResourceRecordSetsCommand} = sdk
        const wanted = absolute(name)
        const out: ResourceRecordSet[] = []
        let start: {StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string} = {StartRecordName: wanted}
        // Records come sorted by name: stop at the first page that moves past ours.
        for (;;) {
          const page = await client.send(new ListResourceRecordSetsCommand({HostedZoneId, ...start, MaxItems: 100}))
          const sets = page.ResourceRecordSets ?? []
          out.push(...sets.filter((s) => absolute(s.Name ?? '') === wanted))
          const past = sets.some((s) => absolute(s.Name ?? '') !== wanted)
          if (!page.IsTruncated || past) return out
          start = {StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType, StartRecordIdentifier: page.NextRecordIdentifier}
        }
      }),
    changeRecordSets: (input) =>
      aws('ChangeResourceRecordSets', async () => {
        const {client, sdk} = await load()
        return (await client.send(new sdk.ChangeResourceRecordSetsCommand(input))).ChangeInfo ?? {Id: '', Status: 'INSYNC', SubmittedAt: new Date()}
      }),
    getChange: (Id) =>
      aws('GetChange', async () => {
        const {client, sdk} = await load()
        return (await client.send(new sdk.GetChangeCommand({Id}))).ChangeInfo ?? {Id, Status: 'INSYNC', SubmittedAt: new Date()}
      }),
    listHealthChecks: () =>
      aws('ListHealthChecks', async () => {
        const {client, sdk} = await load()
        const out: HealthCheck[] = []
        let Marker: string | undefined
        do {
          const page = await client.send(new sdk.ListHealthChecksCommand({...(Marker ? {Marker} : {}), MaxItems: 100}))
          out.push(...(page.HealthChecks ?? []))
          Marker = page.IsTruncated ? page.NextMarker : undefined
        } while (Marker)
        return out
      }),
    healthCheckTags: (ids) =>
      aws('ListTagsForResources', async () => {
        const {client, sdk} = await load()
        const out = new Map<string, Record<string, string>>()
        for (let i = 0; i < ids.length; i += 10) {
          const page = await client.send(new sdk.ListTagsForResourcesCommand({ResourceType: 'healthcheck', ResourceIds: ids.slice(i, i + 10)}))
          for (const set of page.ResourceTagSets ?? []) {
            if (set.ResourceId) out.set(set.ResourceId, Object.fromEntries((set.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? ''])))
          }
        }
        return out
      }),
    createHealthCheck: (input) =>
      aws('CreateHealthCheck', async () => {
        const {client, sdk} = await load()
        const out = await client.send(new sdk.CreateHealthCheckCommand(input))
        if (!out.HealthCheck?.Id) throw new Error('CreateHealthCheck returned no health check')
        return out.HealthCheck
      }),
    tagHealthCheck: (ResourceId, tags) =>
      aws('ChangeTagsForResource', async () => {
        const {client, sdk} = await load()
        await client.send(new sdk.ChangeTagsForResourceCommand({ResourceType: 'healthcheck', ResourceId, AddTags: Object.entries(tags).map(([Key, Value]) => ({Key, Value}))}))
      }),
    deleteHealthCheck: (HealthCheckId) =>
      aws('DeleteHealthCheck', async () => {
        const {client, sdk} = await load()
        await client.send(new sdk.DeleteHealthCheckCommand({HealthCheckId}))
      }),
  }
}
