import {readFileSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'

import * as z from 'zod'

import {CloudError} from '../../errors.js'
import {withLock} from '../../process/lock.js'
import {writeFileAtomicSync} from '../../util/atomic-write.js'
import {parseStateFile} from '../../util/state-file.js'
import type {FirewallRole, ObservedRule} from '../firewall.js'
import type {InstanceState, RecordSet} from '../provider.js'
import {sandboxPaths} from './paths.js'

export interface LocalInstance {
  id: string
  name: string
  /** N of the private address `proxyNet.N`. */
  index: number
  zone: string
  address: string
  state: InstanceState
  /** Killed as a dying node: the supervisor must not bring it back until revived. */
  crashed?: boolean
  launchedAt: string
  /** `topology: pairs`: its pair (the `hactl:pair` tag). */
  pair?: string
  /** The sandbox's security groups on this proxy (`hactl firewall apply`). */
  groupIds?: string[]
}

export interface LocalAddress {
  allocationId: string
  publicIp: string
  index: number
  instanceId?: string
  associationId?: string
  /** `topology: pairs`: the pair it belongs to. */
  pair?: string
}

export interface DemoBackend {
  name: string
  address: string
  port: number
  /** The security groups that decide who may connect to it, once the cluster file has `firewall:`. */
  groupIds?: string[]
}

/**
 * A security group the sandbox enforces on its demo backends: a connection
 * is let in when a rule of one of the backend's groups covers its port and
 * its source address (a network, or the address of a proxy in the group).
 */
export interface LocalGroup {
  id: string
  name: string
  /** hactl's groups for this cluster; a group made by hand (`sandbox open`) has none. */
  role?: FirewallRole
  rules: ObservedRule[]
}

/** topology nlb: a proxy registered with the sandbox's balancer; `deregisteredAt` (ms since the epoch) once it drains. */
export interface LocalTarget {
  instanceId: string
  registeredAt: number
  deregisteredAt?: number
}

/** The sandbox's "cloud": what exists and what is attached where. */
export interface SandboxState {
  version: 1
  cluster: string
  instances: LocalInstance[]
  addresses: LocalAddress[]
  records: RecordSet[]
  /** SOA serial: bumped on every record change. */
  serial: number
  backends: DemoBackend[]
  groups?: LocalGroup[]
  /** topology nlb: the balancer's targets, once `sandbox up` made it. */
  balancer?: {targets: LocalTarget[]}
  /** topology nlb: the local auto scaling group, once `sandbox up` made it; the supervisor keeps `desired` proxies running. */
  scaling?: {desired: number}
  /** Bumped by every locked change, so a reader can tell a newer state from an older one. */
  revision?: number
}

export function emptyState(cluster: string, backends: DemoBackend[] = []): SandboxState {
  return {version: 1, cluster, instances: [], addresses: [], records: [], serial: 1, backends}
}

/*
 * The state file is a few KB, read on every describe and by the supervisor on
 * every change, and written on every association: read and written at once,
 * not through the thread pool, whose four hops per read (open, stat, read,
 * close) cost tens of ms on a busy machine, in the middle of a failover.
 */

export async function readState(dir: string): Promise<SandboxState | undefined> {
  const file = sandboxPaths(dir).state
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return parseStateFile(text, STATE_SCHEMA, file, "the sandbox's state file", [
    'Stop the sandbox with `hactl sandbox down` and start it again with `hactl sandbox up`: the state is rebuilt.',
  ])
}

const INSTANCE_STATE = z.enum(['pending', 'running', 'shutting-down', 'stopped', 'stopping', 'terminated'])

const STATE_SCHEMA = z.looseObject({
  version: z.literal(1),
  cluster: z.string(),
  instances: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      index: z.number().int(),
      zone: z.string(),
      address: z.string(),
      state: INSTANCE_STATE,
      crashed: z.boolean().optional(),
      launchedAt: z.string(),
    }),
  ),
  addresses: z.array(
    z.looseObject({allocationId: z.string(), publicIp: z.string(), index: z.number().int(), instanceId: z.string().optional(), associationId: z.string().optional()}),
  ),
  records: z.array(z.looseObject({name: z.string(), type: z.literal('A'), ttl: z.number(), values: z.array(z.string())})),
  serial: z.number(),
  backends: z.array(z.looseObject({name: z.string(), address: z.string(), port: z.number().int()})),
  revision: z.number().optional(),
}) satisfies z.ZodType<SandboxState>

/** Replace the state file in one rename, so a reader never sees half of it. */
export async function writeState(dir: string, state: SandboxState): Promise<void> {
  writeFileAtomicSync(sandboxPaths(dir).state, `${JSON.stringify(state, null, 2)}\n`)
}

/**
 * Read, change and write the state under the sandbox's lock, so two hactl
 * processes (a monitor and a user's command) never lose each other's change.
 */
export async function updateState<T>(dir: string, change: (state: SandboxState) => Promise<T> | T): Promise<T> {
  await mkdir(dir, {recursive: true})
  return withLock(sandboxPaths(dir).lock, {waitMs: 10_000, pollMs: [5, 50]}, async () => {
    const state = await readState(dir)
    if (!state) throw notRunning(dir)
    const result = await change(state)
    state.revision = (state.revision ?? 0) + 1
    await writeState(dir, state)
    return result
  })
}

export function notRunning(dir: string): CloudError {
  return new CloudError(`no sandbox is running in ${dir}`, {
    actions: ['Start it with `hactl sandbox up`, then run this again.'],
  })
}
