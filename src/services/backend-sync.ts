/**
 * `backend sync`: the servers of each discovered backend in the config
 * source follow the cloud. Instances tagged `hactl:backend=<name>` are the
 * truth; a server whose address:port no instance has any more is removed, a
 * new instance is added (named by its instance id). The whole change is one
 * edit through the config edit service (lock, the proxy's own validator once,
 * one safe write), then one rollout.
 */
import type {Cluster} from '../cluster/loader.js'
import {need} from '../cloud/capabilities.js'
import type {BackendInstance} from '../cloud/provider.js'
import {UnhealthyError, UsageError} from '../errors.js'
import type {ServerInfo} from '../proxy-config/engine.js'
import {unifiedDiff} from '../diff.js'
import {clusterCloud, type CloudServiceOptions} from './cloud.js'
import {applyEdit, editConfig, type ConfigEdit, type ServerChanges} from './config-edit.js'
import {loadConfig, resolveSource} from './config-source.js'
import type {PushReport} from './config-sync.js'
import {checkRolloutPossible, rolloutEdited} from './rollout-after-edit.js'

export interface Endpoint {
  address: string
  port: number
  /** Server name for new servers. */
  name: string
}

export interface SyncPlan {
  backend: string
  discovered: Endpoint[]
  add: Endpoint[]
  remove: {name: string; address: string; port?: number}[]
  /** Why nothing is removed although servers are gone (the empty-discovery guard). */
  refused?: string
}

/**
 * Pure: the edits that make `servers` match `discovered`. An empty discovery
 * never empties a backend that has servers (a broken tag or a describe of the
 * wrong region must not take a site down).
 */
export function planSync(backend: string, servers: ServerInfo[], discovered: Endpoint[]): SyncPlan {
  const key = (address: string, port?: number): string => `${address}:${port ?? ''}`
  const have = new Set(servers.map((s) => key(s.address, s.port)))
  const want = new Set(discovered.map((d) => key(d.address, d.port)))
  const add = discovered.filter((d) => !have.has(key(d.address, d.port)))
  const remove = servers.filter((s) => !want.has(key(s.address, s.port))).map((s) => ({name: s.name, address: s.address, ...(s.port === undefined ? {} : {port: s.port})}))
  if (discovered.length === 0 && servers.length > 0) {
    return {backend, discovered, add: [], remove: [], refused: `no running instance of this cluster is tagged hactl:backend=${backend}: keeping its ${servers.length} servers`}
  }
  return {backend, discovered, add, remove}
}

/** Running instances with a private address; the port from `hactl:port`, else `backends.<name>.port`. */
export function endpointsOf(cluster: Cluster, backend: string, instances: BackendInstance[]): Endpoint[] {
  const fallback = cluster.spec.backends[backend]?.port
  const out: Endpoint[] = []
  for (const i of instances) {
    if (i.state !== 'running' || !i.privateAddress) continue
    const port = i.port ?? fallback
    if (port === undefined) {
      throw new UsageError(`instance ${i.id} of backend ${backend} has no hactl:port tag and the cluster file sets no backends.${backend}.port`, {
        actions: [`Tag the instance hactl:port=PORT, or set backends.${backend}.port in the cluster file.`],
      })
    }
    out.push({address: i.privateAddress, port, name: i.id})
  }
  return out.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port)
}

export interface SyncReport {
  plans: SyncPlan[]
  changed: boolean
  /** Unified diff of the whole change (the same under --dry-run). */
  diff: string
  file: string
  /** The rollout that followed a change (unless --no-push). */
  rollout?: PushReport
}

export async function syncBackends(options: CloudServiceOptions & {backends?: string[]; push?: boolean}): Promise<SyncReport> {
  const {cluster} = options
  const names = options.backends && options.backends.length > 0 ? options.backends : Object.keys(cluster.spec.backends)
  if (names.length === 0) {
    throw new UsageError('no backend to sync', {actions: ['Name backends (hactl backend sync web api), or list them under backends: in the cluster file.']})
  }
  const discovery = need(await clusterCloud(options), 'backends')
  const source = resolveSource({cluster})
  const {doc, engine, text} = await loadConfig(source)
  const backends = engine.listBackends(doc)
  const plans: SyncPlan[] = []
  for (const name of names) {
    const discovered = endpointsOf(cluster, name, await discovery.listBackendInstances(name))
    plans.push(planSync(name, backends.find((b) => b.name === name)?.servers ?? [], discovered))
  }
  const edit: ConfigEdit = {op: 'sync-servers', changes: plans.map(changesOf).filter((c) => c.add.length + c.remove.length > 0)}
  // The whole change on the loaded copy, for the diff; the write below applies it again under the lock.
  if (edit.changes.length > 0) applyEdit(engine, doc, edit)
  const diff = unifiedDiff(source.display, text, doc.serialize())
  for (const p of plans) if (p.refused) options.reporter.emit({level: 'warn', code: 'backend.sync.refused', subject: p.backend, message: p.refused})
  const push = options.push !== false
  let changed = false
  let rollout: PushReport | undefined
  if (!options.dryRun && edit.changes.length > 0) {
    const result = await editConfig({
      cluster,
      edit,
      reporter: options.reporter,
      // A sync that cannot be rolled out writes nothing: exit 2 (or the cloud's code) means the source is as it was.
      ...(push ? {beforeWrite: () => checkRolloutPossible(cluster)} : {}),
    })
    options.reporter.emit({level: 'info', code: 'backend.sync', message: result.summary})
    changed = result.written
    if (changed && push) rollout = await rolloutEdited(cluster, result, {reporter: options.reporter})
  }
  const report: SyncReport = {plans, changed, diff, file: source.display, ...(rollout ? {rollout} : {})}
  if (plans.some((p) => p.refused)) {
    throw new UnhealthyError(plans.flatMap((p) => (p.refused ? [`${p.backend}: ${p.refused}`] : [])).join('\n'), {
      actions: ['Check the hactl:cluster and hactl:backend tags and the region; the other backends were synced.'],
      data: {report},
    })
  }
  return report
}

function changesOf(plan: SyncPlan): ServerChanges {
  return {
    backend: plan.backend,
    add: plan.add.map((d) => ({backend: plan.backend, address: d.address, port: d.port, name: d.name, create: true})),
    remove: plan.remove.map((s) => s.name),
  }
}
