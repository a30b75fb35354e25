/**
 * Server state changes through HAProxy's runtime API on every proxy, with no
 * reload, persisted in the config source so the next reload keeps them; and
 * each proxy's live view of its servers.
 */
import type {Cluster} from '../cluster/loader.js'
import {ExitCode, UsageError, type ExitCodeValue} from '../errors.js'
import type {ServerState} from '../proxy-config/engine.js'
import {connections, type ConnectOptions} from '../remote/connect.js'
import type {RolloutTarget} from '../remote/hosts.js'
import {parseServersState, runtimeCommand, RUNTIME_STATE, type RuntimeServer} from '../remote/runtime.js'
import type {Reporter} from '../events.js'
import {editConfig, type ConfigEditOptions, type ConfigEditResult} from './config-edit.js'

export interface HostRuntimeResult {
  host: string
  ok: boolean
  message?: string
}

export interface RuntimeStateResult extends ConfigEditResult {
  runtime: HostRuntimeResult[]
  exitCode: ExitCodeValue
}

/** The proxies, each with the admin socket the runtime API is reached through; a UsageError (exit 2) when one has none. */
async function runtimeTargets(cluster: Cluster): Promise<RolloutTarget[]> {
  const {clusterTargets} = await import('./config-sync.js')
  const targets = await clusterTargets(cluster)
  const missing = targets.filter((t) => !t.statsSocket)
  if (missing.length > 0) {
    throw new UsageError(`no HAProxy admin socket known for ${missing.map((t) => t.name).join(', ')}`, {
      actions: ['Set proxy.statsSocket in the cluster file (the `stats socket PATH ... level admin` of the config).'],
    })
  }
  return targets
}

/** Run one runtime command on every proxy, each over its own connection, in parallel. */
async function onEveryProxy<R>(cluster: Cluster, targets: RolloutTarget[], options: ConnectOptions, work: (answer: (command: string) => Promise<string>, target: RolloutTarget) => Promise<R>, failed: (target: RolloutTarget, error: Error) => R): Promise<R[]> {
  const open = connections(cluster, options)
  try {
    return await Promise.all(
      targets.map(async (target) => {
        try {
          const t = await open.connect(target)
          try {
            return await work((command) => runtimeCommand(t, target.statsSocket as string, command), target)
          } finally {
            await t.close()
          }
        } catch (error) {
          return failed(target, error as Error)
        }
      }),
    )
  } finally {
    await open.close()
  }
}

export async function setRuntimeState(
  options: Omit<ConfigEditOptions, 'edit'> & ConnectOptions & {backend: string; server: string; state: ServerState; reporter: Reporter},
): Promise<RuntimeStateResult> {
  runtimeWord(options.backend)
  if (options.file !== undefined) throw new UsageError('--runtime works on the cluster\'s proxies, not on --file', {actions: ['Drop --file, or drop --runtime.']})
  const {cluster} = options
  if (!cluster) throw new UsageError('--runtime works on the cluster\'s proxies: it needs the cluster file', {actions: ['Pass the cluster file with -c FILE.']})
  // Everything the runtime step needs is checked before the source is touched: exit 2 means nothing changed.
  const targets = await runtimeTargets(cluster)
  const edit = await editConfig({...options, edit: {op: 'set-server-state', backend: options.backend, server: options.server, state: options.state}})
  if (edit.dryRun) return {...edit, runtime: [], exitCode: ExitCode.ok}
  const name = edit.server?.name ?? options.server
  const command = `set server ${runtimeWord(options.backend)}/${runtimeWord(name)} state ${RUNTIME_STATE[options.state]}`
  const runtime = await onEveryProxy(
    cluster,
    targets,
    options,
    async (ask, target) => {
      const answer = (await ask(command)).trim()
      options.reporter.emit({level: answer ? 'error' : 'info', code: 'runtime.set', subject: target.name, message: answer || command})
      return {host: target.name, ok: answer === '', message: answer || undefined}
    },
    (target, error) => ({host: target.name, ok: false, message: error.message}),
  )
  const failed = runtime.filter((r) => !r.ok).length
  return {...edit, runtime, exitCode: failed === 0 ? ExitCode.ok : ExitCode.partial}
}

export interface LiveServer extends RuntimeServer {
  host: string
}

export interface LiveServers {
  servers: LiveServer[]
  unreachable: {host: string; message: string}[]
}

interface HostServers {
  host: string
  servers: RuntimeServer[]
  message?: string
}

/**
 * The runtime API splits commands on spaces and `;`: a name that holds either
 * could smuggle in a second command, so only HAProxy's own name characters pass.
 */
function runtimeWord(name: string): string {
  if (!/^[\w.:-]+$/.test(name)) {
    throw new UsageError(`"${name}" cannot be sent to the HAProxy runtime API`, {actions: ['Backend and server names there use letters, digits, ".", ":", "_" and "-".']})
  }
  return name
}

export async function liveServers(cluster: Cluster, options: ConnectOptions & {backend?: string}): Promise<LiveServers> {
  const results = await onEveryProxy(
    cluster,
    await runtimeTargets(cluster),
    options,
    async (ask, target): Promise<HostServers> => ({host: target.name, servers: parseServersState(await ask(`show servers state${options.backend ? ` ${runtimeWord(options.backend)}` : ''}`))}),
    (target, error): HostServers => ({host: target.name, servers: [], message: error.message}),
  )
  return {
    servers: results.flatMap((r) => r.servers.map((s) => ({host: r.host, ...s}))),
    unreachable: results.flatMap((r) => (r.message ? [{host: r.host, message: r.message}] : [])),
  }
}
