/**
 * `dns.provider: route53`: the record lives in a Route 53 public hosted zone.
 *
 * Two shapes. By default one A record set lists every address, written with
 * one UPSERT. With `dns.multivalue: true` each address is its own multivalue
 * answer record (SetIdentifier = the address) tied to its own Route 53 health
 * check, so Route 53 stops handing out an address whose proxy fails; hactl
 * creates those checks, tags them, and deletes the ones it no longer needs.
 * Either way one change batch moves the name from what it holds to what it
 * should hold (Route 53 applies a batch whole or not at all), including
 * records left in the other shape.
 */
import type {Change, HealthCheck, HealthCheckConfig, ResourceRecordSet} from '@aws-sdk/client-route-53'
import {randomBytes} from 'node:crypto'

import type {ProbeSpec} from '../../cluster/schema.js'
import {CloudError, ConfigError} from '../../errors.js'
import {poll} from '../../util/poll.js'
import {absoluteName as absolute} from '../dns-name.js'
import {balancerName, DnsConflictError, recordTargets, sameValues, type DnsZone, type RecordSet, type UpsertOptions} from '../dns-zone.js'
import {hactlTags, TAG} from '../tags.js'
import type {IRoute53Client} from './route53-client.js'

export interface Route53ZoneSpec {
  cluster: string
  dns: {zone: string; name: string; ttl: number; hostedZoneId?: string; multivalue?: boolean}
  /** What each multivalue record's health check probes (health.proxy). */
  probe: ProbeSpec
  /** The cluster file, for messages. */
  file: string
}

export interface Route53ZoneOptions {
  /** Bounds the wait for Route 53 to report INSYNC. */
  syncTimeoutMs?: number
}

/** The tag naming the address a health check watches. */
export const ADDRESS_TAG = 'hactl:address'
const HEALTH_ROLE = 'health-check'

export class Route53Zone implements DnsZone {
  readonly dnsKind = 'route53' as const
  readonly aliases = true
  private hostedZoneId?: string

  constructor(
    private readonly spec: Route53ZoneSpec,
    private readonly route53: IRoute53Client,
    private readonly options: Route53ZoneOptions = {},
  ) {}

  private get multivalue(): boolean {
    return this.spec.dns.multivalue === true
  }

  async zoneId(): Promise<string> {
    if (this.hostedZoneId) return this.hostedZoneId
    const {dns} = this.spec
    if (dns.hostedZoneId) return (this.hostedZoneId = dns.hostedZoneId)
    const zone = await this.route53.findHostedZone(dns.zone)
    if (!zone?.Id) {
      throw new CloudError(`no public Route 53 hosted zone named ${absolute(dns.zone)}`, {
        actions: ['Create the hosted zone, or set dns.hostedZoneId in the cluster file.'],
      })
    }
    return (this.hostedZoneId = zone.Id.replace(/^\/hostedzone\//, ''))
  }

  private async aSets(name: string): Promise<ResourceRecordSet[]> {
    const sets = await this.route53.listRecordSets(await this.zoneId(), name)
    return sets.filter((s) => s.Type === 'A' && !s.AliasTarget)
  }

  /** Records in the shape the cluster file asks for; a record in the other shape is not counted, so it shows as drift and the next publish replaces it. */
  private ours(set: ResourceRecordSet): boolean {
    return this.multivalue ? Boolean(set.SetIdentifier && set.MultiValueAnswer && set.HealthCheckId) : !set.SetIdentifier
  }

  /** The alias A record at the name (topology nlb), if there is one. */
  private async aliasSet(name: string): Promise<ResourceRecordSet | undefined> {
    const sets = await this.route53.listRecordSets(await this.zoneId(), name)
    return sets.find((s) => s.Type === 'A' && s.AliasTarget && !s.SetIdentifier)
  }

  async getRecordSet(name: string): Promise<RecordSet | undefined> {
    const alias = (await this.aliasSet(name))?.AliasTarget
    if (alias?.DNSName && alias.HostedZoneId) return {name: absolute(name), type: 'A', ttl: 0, values: [], alias: {dnsName: balancerName(alias.DNSName), hostedZoneId: alias.HostedZoneId}}
    const a = (await this.aSets(name)).filter((s) => this.ours(s))
    if (a.length === 0) return undefined
    const values = a.flatMap((s) => (s.ResourceRecords ?? []).map((r) => r.Value as string))
    return {name: absolute(name), type: 'A', ttl: a[0].TTL ?? 0, values: [...new Set(values)].sort()}
  }

  async upsertRecordSet(records: RecordSet, options: UpsertOptions = {}): Promise<void> {
    if (records.alias) return this.upsertAlias(records, records.alias, options)
    const name = absolute(records.name)
    if (records.values.length === 0) throw new CloudError(`refusing to publish an empty record set for ${name}`)
    // Unguarded and in one A set, a publish is one UPSERT with no read before it (the monitor's way);
    // a guard or multivalue answers need to know what the name holds.
    const existing = options.expected === undefined && !this.multivalue ? [] : await this.aSets(name)
    if (options.expected !== undefined) this.checkExpected(name, existing, options.expected)
    const checks = this.multivalue ? await this.ensureHealthChecks(name, records.values) : new Map<string, string>()
    const changes = this.changes(name, records, existing, checks)
    if (changes.length > 0) {
      const change = await this.route53.changeRecordSets({
        HostedZoneId: await this.zoneId(),
        ChangeBatch: {Comment: `hactl: ${this.spec.cluster} address pool`, Changes: changes},
      })
      if (options.wait !== false && change.Status !== 'INSYNC' && change.Id) await this.waitInSync(change.Id)
    }
    // Only after the records stop naming them: Route 53 refuses to delete a health check in use.
    if (this.multivalue || existing.some((s) => s.HealthCheckId)) await this.deleteUnusedHealthChecks(name, new Set(checks.values()))
  }

  /**
   * topology nlb: one batch that removes the A sets of the address pool
   * (plain or multivalue) and writes the alias; Route 53 then answers with
   * the balancer's addresses, following them as they change.
   */
  private async upsertAlias(records: RecordSet, alias: NonNullable<RecordSet['alias']>, options: UpsertOptions): Promise<void> {
    const name = absolute(records.name)
    const [plain, current] = await Promise.all([this.aSets(name), this.aliasSet(name)])
    if (options.expected !== undefined) {
      const live = current ? await this.getRecordSet(name) : plain.length > 0 ? await this.getRecordSet(name) : undefined
      const same = options.expected === null ? live === undefined : sameValues(recordTargets(live), recordTargets(options.expected))
      if (!same) {
        throw new DnsConflictError(`${name} changed in Route 53 since it was read (read: ${recordTargets(options.expected ?? undefined).join(' ') || 'no record'}; now: ${recordTargets(live).join(' ') || 'no record'}): nothing was published`, {
          data: {zone: this.spec.dns.zone, name, live: recordTargets(live)},
        })
      }
    }
    const changes: Change[] = [
      // The alias takes the name without a set identifier: every other A set there goes in the same batch.
      ...plain.filter((s) => s.SetIdentifier).map((s): Change => ({Action: 'DELETE', ResourceRecordSet: s})),
      {Action: 'UPSERT', ResourceRecordSet: this.aliasRecord(name, alias)},
    ]
    const change = await this.route53.changeRecordSets({HostedZoneId: await this.zoneId(), ChangeBatch: {Comment: `hactl: ${this.spec.cluster} load balancer`, Changes: changes}})
    if (options.wait !== false && change.Status !== 'INSYNC' && change.Id) await this.waitInSync(change.Id)
    if (plain.some((s) => s.HealthCheckId)) await this.deleteUnusedHealthChecks(name, new Set())
  }

  private aliasRecord(name: string, alias: NonNullable<RecordSet['alias']>): ResourceRecordSet {
    // EvaluateTargetHealth: Route 53 answers only while the balancer has a healthy target.
    return {Name: name, Type: 'A', AliasTarget: {HostedZoneId: alias.hostedZoneId, DNSName: alias.dnsName, EvaluateTargetHealth: true}}
  }

  /** Route 53 has no prerequisite: the guard is a read just before the change, which catches all but a change in the same instant. */
  private checkExpected(name: string, existing: ResourceRecordSet[], expected: RecordSet | null): void {
    const live = existing.filter((s) => this.ours(s)).flatMap((s) => (s.ResourceRecords ?? []).map((r) => r.Value as string))
    const same = expected === null ? live.length === 0 : live.length > 0 && sameValues(live, expected.values)
    if (same) return
    throw new DnsConflictError(`${name} changed in Route 53 since it was read (read: ${expected ? expected.values.join(' ') : 'no record'}; now: ${live.join(' ') || 'no record'}): nothing was published`, {
      data: {zone: this.spec.dns.zone, name, live},
    })
  }

  /** The one change batch from what the name holds to `records`; empty when it already holds exactly that. */
  private changes(name: string, records: RecordSet, existing: ResourceRecordSet[], checks: Map<string, string>): Change[] {
    const values = [...new Set(records.values)].sort()
    const wanted: ResourceRecordSet[] = this.multivalue
      ? values.map((ip) => ({Name: name, Type: 'A', SetIdentifier: ip, MultiValueAnswer: true, TTL: records.ttl, ResourceRecords: [{Value: ip}], HealthCheckId: checks.get(ip)}))
      : [{Name: name, Type: 'A', TTL: records.ttl, ResourceRecords: values.map((Value) => ({Value}))}]
    const key = (s: ResourceRecordSet): string => s.SetIdentifier ?? ''
    const wantedKeys = new Set(wanted.map(key))
    // A set in the other shape, or an address no longer in the pool, goes in the same batch.
    const deletes: Change[] = existing.filter((s) => !wantedKeys.has(key(s)) || !this.ours(s)).map((s) => ({Action: 'DELETE', ResourceRecordSet: s}))
    const upserts: Change[] = wanted
      .filter((w) => {
        const have = existing.find((s) => key(s) === key(w) && this.ours(s))
        return !have || !sameRecord(have, w)
      })
      .map((w) => ({Action: 'UPSERT', ResourceRecordSet: w}))
    return [...deletes, ...upserts]
  }

  /** The changes a publish would send, for --dry-run (health checks it would create are named, not yet known by id). */
  explainUpsert(records: RecordSet): string[] {
    const name = absolute(records.name)
    const values = [...new Set(records.values)].sort()
    const show = (api: string, input: unknown): string => `${api} ${JSON.stringify(input)}`
    if (records.alias) {
      return [
        show('route53:ChangeResourceRecordSets', {Action: 'UPSERT', ...this.aliasRecord(name, records.alias)}),
        ...(this.multivalue ? [show('route53:ChangeResourceRecordSets', {Action: 'DELETE', onlyIf: `the multivalue A records of ${name}`})] : []),
      ]
    }
    if (!this.multivalue) return [show('route53:ChangeResourceRecordSets', {Action: 'UPSERT', Name: name, Type: 'A', TTL: records.ttl, Values: records.values})]
    return [
      ...values.map((ip) => show('route53:CreateHealthCheck', {IPAddress: ip, ...this.healthCheckConfig(ip), Tags: this.healthCheckTags(name, ip), onlyIf: 'no health check of hactl watches it yet'})),
      ...values.map((ip) => show('route53:ChangeResourceRecordSets', {Action: 'UPSERT', Name: name, Type: 'A', SetIdentifier: ip, MultiValueAnswer: true, TTL: records.ttl, Values: [ip], HealthCheckId: `(the check of ${ip})`})),
      show('route53:ChangeResourceRecordSets', {Action: 'DELETE', onlyIf: `records of ${name} for addresses no longer in the pool, and a plain A set`}),
      show('route53:DeleteHealthCheck', {onlyIf: 'checks of hactl for addresses no longer in the pool'}),
    ]
  }

  private healthCheckConfig(ip: string): HealthCheckConfig {
    const {probe} = this.spec
    const type = probe.type === 'https' ? 'HTTPS' : probe.type === 'http' ? 'HTTP' : 'TCP'
    return {
      IPAddress: ip,
      Port: probe.port,
      Type: type,
      ...(type === 'TCP' ? {} : {ResourcePath: probe.path, ...(probe.host ? {FullyQualifiedDomainName: probe.host} : {})}),
      RequestInterval: 30,
      FailureThreshold: Math.min(10, Math.max(1, probe.fall)),
    }
  }

  private healthCheckTags(name: string, ip: string): Record<string, string> {
    return hactlTags(this.spec.cluster, HEALTH_ROLE, {Name: `${this.spec.cluster} ${name} ${ip}`, [ADDRESS_TAG]: ip, 'hactl:dns-name': name})
  }

  /** hactl's health checks for this name, by the address each watches. */
  async healthChecks(name: string): Promise<Map<string, HealthCheck[]>> {
    const all = await this.route53.listHealthChecks()
    const tags = all.length === 0 ? new Map<string, Record<string, string>>() : await this.route53.healthCheckTags(all.map((c) => c.Id as string))
    const ours = new Map<string, HealthCheck[]>()
    for (const check of all) {
      const t = tags.get(check.Id as string) ?? {}
      if (t[TAG.cluster] !== this.spec.cluster || t[TAG.role] !== HEALTH_ROLE || t['hactl:dns-name'] !== name || !t[ADDRESS_TAG]) continue
      ours.set(t[ADDRESS_TAG], [...(ours.get(t[ADDRESS_TAG]) ?? []), check])
    }
    return ours
  }

  /** One health check per address: the existing one, or a new one, tagged so hactl finds it again. */
  private async ensureHealthChecks(name: string, values: string[]): Promise<Map<string, string>> {
    const ours = await this.healthChecks(name)
    const out = new Map<string, string>()
    for (const ip of [...new Set(values)].sort()) {
      const have = ours.get(ip)?.[0]
      if (have?.Id) {
        out.set(ip, have.Id)
        continue
      }
      const check = await this.route53.createHealthCheck({
        // Unique per request: Route 53 keeps a reference for a while even after the check is deleted.
        CallerReference: `hactl-${this.spec.cluster}-${ip}-${randomBytes(6).toString('hex')}`.slice(0, 64),
        HealthCheckConfig: this.healthCheckConfig(ip),
      })
      const id = check.Id as string
      await this.route53.tagHealthCheck(id, this.healthCheckTags(name, ip))
      out.set(ip, id)
    }
    return out
  }

  private async deleteUnusedHealthChecks(name: string, inUse: Set<string>): Promise<void> {
    for (const checks of (await this.healthChecks(name)).values()) {
      for (const check of checks) if (check.Id && !inUse.has(check.Id)) await this.route53.deleteHealthCheck(check.Id)
    }
  }

  /** Poll GetChange with capped backoff until INSYNC; bounded so a stuck change ends with a message. */
  private async waitInSync(id: string): Promise<void> {
    const {value: status, done} = await poll(
      () => this.route53.getChange(id),
      (change) => change.Status === 'INSYNC',
      {timeoutMs: this.options.syncTimeoutMs ?? 180_000, delayMs: 500, maxDelayMs: 10_000},
    )
    if (done) return
    throw new CloudError(`Route 53 change ${id} is still ${status.Status ?? 'PENDING'}`, {
      actions: ['The record was accepted; check it later with `hactl dns show`, or publish with --no-wait.'],
    })
  }
}

function sameRecord(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  const values = (s: ResourceRecordSet): string[] => (s.ResourceRecords ?? []).map((r) => r.Value as string)
  return a.TTL === b.TTL && (a.HealthCheckId ?? '') === (b.HealthCheckId ?? '') && Boolean(a.MultiValueAnswer) === Boolean(b.MultiValueAnswer) && sameValues(values(a), values(b))
}

/** A Route 53 zone for a cluster whose dns section says where (the file is named in messages). */
export function route53ZoneSpec(spec: {cluster: string; dns?: Route53ZoneSpec['dns']; health: {proxy: ProbeSpec}}, file: string): Route53ZoneSpec {
  if (!spec.dns) throw new ConfigError('the cluster file has no dns: section', {file}, {actions: ['Add dns: {zone, name, ttl}.']})
  return {cluster: spec.cluster, dns: spec.dns, probe: spec.health.proxy, file}
}
