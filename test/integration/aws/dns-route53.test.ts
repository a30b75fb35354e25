import {ListHealthChecksCommand, ListResourceRecordSetsCommand, ListTagsForResourcesCommand, type ResourceRecordSet, type Route53Client} from '@aws-sdk/client-route-53'
import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl, type CliResult} from '../../harness/cli.js'
import {sharedMoto, type Moto} from '../../harness/moto.js'
import {aRecord, createZone, inspect} from './helpers.js'

const NAME = 'www.example.com.'

/**
 * `dns.provider: route53` apart from the compute provider: a static cluster
 * (hosts over SSH, no EC2) publishes its hosts' addresses to a Route 53 zone,
 * as one A set or as multivalue answers with a health check per address.
 */
describe('dns.provider route53 on a static cluster, and multivalue answers, against moto', function () {
  this.timeout(120_000)
  let moto: Moto
  let r53: Route53Client
  let zoneId: string
  let dir: string

  const write = async (hosts: string[], dns: string): Promise<void> => {
    const text = [
      'cluster: edge',
      'provider: static',
      'region: us-east-1',
      'proxy: {config: ./haproxy.cfg}',
      'hosts:',
      ...hosts.map((address, i) => `  - {name: lb${i + 1}, address: ${address}}`),
      `dns: {provider: route53, zone: example.com., name: ${NAME}, ttl: 30, hostedZoneId: ${zoneId}${dns}}`,
      'health: {proxy: {type: http, port: 8080, path: /healthz, fall: 3}}',
      '',
    ].join('\n')
    await writeFile(path.join(dir, 'hactl.yaml'), text)
  }
  const run = (...args: string[]): Promise<CliResult> => hactl(args, {cwd: dir, env: moto.env})
  const sets = async (): Promise<ResourceRecordSet[]> => {
    const out = await r53.send(new ListResourceRecordSetsCommand({HostedZoneId: zoneId}))
    return (out.ResourceRecordSets ?? []).filter((s) => s.Name === NAME && s.Type === 'A')
  }
  /** The health checks tagged as this cluster's, with their tags. */
  const checks = async (): Promise<Array<{id: string; ip?: string; port?: number; type?: string; path?: string; tags: Record<string, string>}>> => {
    const all = (await r53.send(new ListHealthChecksCommand({}))).HealthChecks ?? []
    if (all.length === 0) return []
    const tagged = await r53.send(new ListTagsForResourcesCommand({ResourceType: 'healthcheck', ResourceIds: all.map((c) => c.Id as string)}))
    const tagsOf = (id: string): Record<string, string> =>
      Object.fromEntries((tagged.ResourceTagSets?.find((t) => t.ResourceId === id)?.Tags ?? []).map((t) => [t.Key as string, t.Value as string]))
    return all
      .map((c) => ({id: c.Id as string, ip: c.HealthCheckConfig?.IPAddress, port: c.HealthCheckConfig?.Port, type: c.HealthCheckConfig?.Type, path: c.HealthCheckConfig?.ResourcePath, tags: tagsOf(c.Id as string)}))
      .filter((c) => c.tags['hactl:cluster'] === 'edge')
      .sort((a, b) => (a.ip ?? '').localeCompare(b.ip ?? ''))
  }

  before(async () => {
    moto = await sharedMoto()
    ;({r53} = inspect(moto))
    zoneId = await createZone(r53)
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-r53-'))
    await writeFile(path.join(dir, 'haproxy.cfg'), 'global\n')
  })
  after(async () => {
    await moto?.stop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('a static cluster publishes its hosts\' addresses to Route 53 as one A set', async () => {
    await write(['192.0.2.1', '192.0.2.2', '192.0.2.3'], '')
    const r = await run('dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(await aRecord(r53, zoneId)).to.deep.equal(['192.0.2.1', '192.0.2.2', '192.0.2.3'])
    const show = await run('dns', 'show')
    expect(show.code, show.stdout + show.stderr).to.equal(0)
    expect(show.stdout).to.contain('in sync with the pool')
  })

  it('multivalue: --dry-run names the health checks and records it would make, and changes nothing', async () => {
    await write(['192.0.2.1', '192.0.2.2', '192.0.2.3'], ', multivalue: true')
    const r = await run('dns', 'publish', '--dry-run')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout.match(/would call route53:CreateHealthCheck/g)).to.have.length(3)
    expect(r.stdout).to.contain('"SetIdentifier":"192.0.2.2","MultiValueAnswer":true')
    expect(await checks()).to.deep.equal([])
    expect(await sets()).to.have.length(1)
  })

  it('multivalue: one record per address with its own tagged health check, replacing the plain set in one batch; a re-run changes nothing', async () => {
    const r = await run('dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const made = await checks()
    expect(made.map((c) => [c.ip, c.port, c.type, c.path])).to.deep.equal([
      ['192.0.2.1', 8080, 'HTTP', '/healthz'],
      ['192.0.2.2', 8080, 'HTTP', '/healthz'],
      ['192.0.2.3', 8080, 'HTTP', '/healthz'],
    ])
    for (const c of made) expect(c.tags).to.include({'hactl:cluster': 'edge', 'hactl:role': 'health-check', 'hactl:address': c.ip, 'hactl:dns-name': NAME})
    const records = (await sets()).sort((a, b) => (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''))
    expect(records.map((s) => [s.SetIdentifier, s.MultiValueAnswer, s.TTL, s.ResourceRecords?.map((v) => v.Value), s.HealthCheckId])).to.deep.equal(
      made.map((c) => [c.ip, true, 30, [c.ip], c.id]),
    )

    const show = await run('dns', 'show', '--json')
    expect(show.code, show.stdout + show.stderr).to.equal(0)
    expect(JSON.parse(show.stdout)).to.include({provider: 'route53', drift: false})

    const again = await run('dns', 'publish', '--json')
    expect(again.code).to.equal(0)
    expect(JSON.parse(again.stdout)).to.include({changed: false})
    expect(await checks()).to.deep.equal(made)
  })

  it('multivalue: a host gone from the pool loses its record and its health check; the others keep theirs', async () => {
    const before = await checks()
    await write(['192.0.2.1', '192.0.2.3'], ', multivalue: true')
    const r = await run('dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect((await sets()).map((s) => s.SetIdentifier).sort()).to.deep.equal(['192.0.2.1', '192.0.2.3'])
    expect(await checks()).to.deep.equal(before.filter((c) => c.ip !== '192.0.2.2'))
  })

  it('back to one A set: the multivalue records and every health check hactl made are removed', async () => {
    await write(['192.0.2.1', '192.0.2.3'], '')
    const drift = await run('dns', 'show')
    expect(drift.code, drift.stdout).to.equal(5)
    const r = await run('dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const records = await sets()
    expect(records).to.have.length(1)
    expect(records[0].SetIdentifier).to.equal(undefined)
    expect(await aRecord(r53, zoneId)).to.deep.equal(['192.0.2.1', '192.0.2.3'])
    expect(await checks()).to.deep.equal([])
  })
})
