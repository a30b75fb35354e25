/**
 * What the monitor's replace step (src/monitor/replace.ts) does to the
 * cloud and the hosts, bound to one cluster: launch a proxy where the dead
 * one ran, push it the source config, terminate the dead one.
 */
import {createHash} from 'node:crypto'

import type {Cluster} from '../cluster/loader.js'
import {need, type Cloud} from '../cloud/capabilities.js'
import type {Placement, ProxyInstance} from '../cloud/provider.js'
import type {Reporter} from '../events.js'
import {UnhealthyError} from '../errors.js'
import type {ReplaceDeps} from '../monitor/replace.js'
import {pushConfig} from './config-sync.js'
import {proxyNames} from './proxy.js'

/**
 * The current source config onto one new proxy, through the rollout `hactl
 * config push --hosts NAME` runs (validate, install, reload, check). Kept to
 * this one function so another way of bringing a new proxy up to date can
 * take its place. A host key never seen before is accepted: the proxy was
 * launched a moment ago by this monitor.
 */
export async function pushToNewProxy(cluster: Cluster, proxy: ProxyInstance, reporter: Reporter): Promise<void> {
  const report = await pushConfig(cluster, {hosts: [proxy.name ?? proxy.id], concurrency: 1, acceptNew: true, reporter})
  const bad = report.hosts.filter((h) => h.status !== 'updated' && h.status !== 'unchanged')
  if (bad.length > 0) throw new UnhealthyError(bad.map((h) => `${h.host}: ${h.status}${h.message ? ` (${h.message})` : ''}`).join('; '))
}

/** The rollout's own progress events stay out of the monitor's log: the replace step reports the push as one event. */
const quiet: Reporter = {emit: () => undefined}

export function replaceDeps(cluster: Cluster, cloud: Cloud): ReplaceDeps {
  const instances = need(cloud, 'instances')
  const {spec} = cluster
  return {
    async launch(where, clientToken) {
      const existing = await instances.listProxies()
      const placement: Placement = {zone: where.zone, ...(where.pair ? {pair: where.pair} : {}), ...(await subnetIn(cloud, cluster, where.zone))}
      const [named] = proxyNames(spec.cluster, existing, [placement])
      const token = `hactl-${createHash('sha256').update(clientToken).digest('hex').slice(0, 32)}`
      const [launched] = await instances.launchProxies([named], {clientToken: token})
      if (!launched) throw new UnhealthyError(`the cloud launched no proxy in ${where.zone}`)
      return launched
    },
    push: (proxy) => pushToNewProxy(cluster, proxy, quiet),
    terminate: (id) => instances.terminateProxy(id),
  }
}

/** The configured subnet in the zone, when the cluster places proxies by subnet. */
async function subnetIn(cloud: Cloud, cluster: Cluster, zone: string): Promise<{subnet?: string}> {
  const {subnets} = cluster.spec.proxy.instances
  if (subnets.length === 0) return {}
  const lookup = (cloud.instances as Partial<{subnetZones(s: string[]): Promise<Map<string, string>>}> | undefined)?.subnetZones
  const zones = lookup ? await lookup.call(cloud.instances, subnets) : new Map<string, string>()
  const subnet = subnets.find((s) => zones.get(s) === zone)
  return subnet ? {subnet} : {}
}
