import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import {homedir} from 'node:os'
import path from 'node:path'

import {isAlias, isMap, isSeq, LineCounter, parseDocument, visit, type Document, type Node} from 'yaml'
import type {z} from 'zod'

import {ConfigError, ConfigErrors} from '../errors.js'
import {templateProblem} from './command-template.js'
import {dnsProblems, DNS_PROVIDER_NAMES} from './dns.js'
import {clusterSchema, type ClusterSpec} from './schema.js'

export interface Cluster {
  /** The cluster file as given (for messages) and its absolute path. */
  readonly file: string
  readonly path: string
  /** Folder relative paths in the file are resolved against. */
  readonly dir: string
  readonly spec: ClusterSpec
}

/** What the command line may set over the cluster file for one run (`--region`, `--profile`). */
export interface ClusterOverrides {
  region?: string
  profile?: string
}

/**
 * The cluster as one run sees it: the file's settings with the command line's
 * overrides on top, as a new value. The parsed file is left as it was read,
 * so nothing can pick up the file's region by reading it again or by holding
 * the value from before the overrides.
 */
export function withOverrides(cluster: Cluster, overrides: ClusterOverrides): Cluster {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined && value !== '')) as ClusterOverrides
  if (Object.keys(set).length === 0) return cluster
  return {...cluster, spec: {...cluster.spec, ...set}}
}

/** Expand `~/` and resolve a relative path against the cluster file's folder. */
export function resolvePath(dir: string, p: string): string {
  if (p === '~') return homedir()
  if (p.startsWith('~/')) return path.join(homedir(), p.slice(2))
  return path.resolve(dir, p)
}

/** A cluster file is a page or two of YAML; past this it is a mistake (or an attack) and is refused before it is parsed. */
export const MAX_CLUSTER_FILE_BYTES = 1024 * 1024

/** How many times YAML aliases may be expanded: enough for any real file, far too few for an alias bomb. */
const MAX_ALIAS_EXPANSIONS = 100

/** No list or map in a cluster file needs more entries (the schema holds most lists to far fewer). */
const MAX_COLLECTION_ITEMS = 1000

export async function loadCluster(file: string): Promise<Cluster> {
  return parseCluster(await readClusterFile(file), file)
}

/** The file's text, refused at once when it is not a regular file or is larger than a cluster file can sensibly be. */
async function readClusterFile(file: string): Promise<string> {
  const unreadable = (error: unknown): ConfigError => {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return new ConfigError('no cluster file here', {file}, {actions: ['Create one with `hactl init`, or point at it with -c FILE or HACTL_CLUSTER.'], cause: error})
    if (code === 'EACCES' || code === 'EPERM') {
      return new ConfigError(`permission denied: this user cannot read the cluster file (${code})`, {file}, {actions: ['Run as a user who may read it, or fix its permissions.'], cause: error})
    }
    if (code === 'EISDIR') return new ConfigError('is a folder, not a cluster file', {file}, {actions: ['Point -c at the hactl.yaml inside it.'], cause: error})
    return new ConfigError(`cannot read the cluster file (${code ?? (error as Error).message})`, {file}, {actions: ['Point at it with -c FILE or HACTL_CLUSTER.'], cause: error})
  }
  // O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused below like any non-regular file.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
    throw unreadable(error)
  })
  try {
    const info = await handle.stat()
    if (info.isDirectory()) throw unreadable(Object.assign(new Error('is a directory'), {code: 'EISDIR'}))
    if (!info.isFile()) {
      throw new ConfigError('is not a regular file (a device, pipe or socket): hactl reads cluster files only from regular files', {file}, {
        actions: ['Point -c at a hactl.yaml file.'],
      })
    }
    if (info.size > MAX_CLUSTER_FILE_BYTES) throw tooLarge(file, info.size)
    // Read one byte past the limit: a file that grew since the stat is still caught.
    const buffer = Buffer.alloc(MAX_CLUSTER_FILE_BYTES + 1)
    let length = 0
    for (;;) {
      const {bytesRead} = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > MAX_CLUSTER_FILE_BYTES) throw tooLarge(file, length)
    }
    return buffer.toString('utf8', 0, length)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw unreadable(error)
  } finally {
    await handle.close()
  }
}

function tooLarge(file: string, size: number): ConfigError {
  return new ConfigError(`is ${(size / 1024 / 1024).toFixed(1)} MB: cluster files over ${MAX_CLUSTER_FILE_BYTES / 1024 / 1024} MB are refused`, {file}, {
    actions: ['Check that -c names the cluster file; a cluster file lists settings and a few hosts, not data.'],
  })
}

/** Parse and check a cluster file's text; every problem is reported with its line and column. */
export function parseCluster(text: string, file: string): Cluster {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const at = (offset: number): {col: number; line: number} => lineCounter.linePos(offset)
  const problems: ConfigError[] = doc.errors.map((e) => new ConfigError(e.message.split('\n')[0], {file, ...at(e.pos[0])}))
  if (problems.length > 0) throw new ConfigErrors(problems)

  if (Buffer.byteLength(text) > MAX_CLUSTER_FILE_BYTES) throw tooLarge(file, Buffer.byteLength(text))
  const oversized = oversizedCollection(doc)
  if (oversized) {
    throw new ConfigError(`${oversized.size} entries in one ${oversized.kind}: a cluster file holds at most ${MAX_COLLECTION_ITEMS} per list or map`, {file, ...at(oversized.offset)}, {
      actions: ['Check that -c names the cluster file; list hosts, zones and backends, not data.'],
    })
  }
  let value: unknown
  try {
    value = doc.toJS({maxAliasCount: MAX_ALIAS_EXPANSIONS})
  } catch (error) {
    // yaml refuses to expand aliases past the count (a "billion laughs" file): invalid input, not a bug.
    if (!(error instanceof ReferenceError)) throw error
    throw new ConfigError(`too many YAML alias expansions (${error.message}): write the values out instead of nesting aliases`, {file, ...at(firstAlias(doc))}, {cause: error})
  }
  const result = clusterSchema.safeParse(value ?? {})
  if (!result.success) {
    throw new ConfigErrors(result.error.issues.map((issue) => issueToError(issue, doc, file, at)))
  }
  const spec = result.data
  const extra: ConfigError[] = []
  if (spec.provider === 'static' && spec.hosts.length === 0) {
    extra.push(new ConfigError('provider static needs a hosts: list', {file, ...locate(doc, ['provider'], at)}))
  }
  extra.push(...templateErrors(spec, doc, file, at))
  extra.push(...dnsProblems(spec).map(([keyPath, message]) => new ConfigError(message, {file, ...locate(doc, keyPath, at)})))
  if (extra.length > 0) throw new ConfigErrors(extra)

  const absolute = path.resolve(file)
  const dir = path.dirname(absolute)
  spec.proxy.config = resolvePath(dir, spec.proxy.config)
  if (spec.ssh.identityFile) spec.ssh.identityFile = resolvePath(dir, spec.ssh.identityFile)
  spec.ssh.knownHosts = resolvePath(dir, spec.ssh.knownHosts)
  spec.local.dir = resolvePath(dir, spec.local.dir)
  if (spec.failover.stateFile) spec.failover.stateFile = resolvePath(dir, spec.failover.stateFile)
  return {file, path: absolute, dir, spec}
}

type Position = {col: number; line: number}

/** The first list or map with more entries than any cluster file needs, found before the schema walks every entry. */
function oversizedCollection(doc: Document): {kind: 'list' | 'map'; offset: number; size: number} | undefined {
  let found: {kind: 'list' | 'map'; offset: number; size: number} | undefined
  const check = (kind: 'list' | 'map', node: {items: unknown[]; range?: [number, number, number] | null}): symbol | undefined => {
    if (node.items.length <= MAX_COLLECTION_ITEMS) return undefined
    found = {kind, offset: node.range?.[0] ?? 0, size: node.items.length}
    return visit.BREAK
  }
  visit(doc, {Seq: (_k, node) => check('list', node), Map: (_k, node) => check('map', node)})
  return found
}

/** Offset of the first alias in the document, to point at when aliases expand too far. */
function firstAlias(doc: Document): number {
  let offset = 0
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) offset = node.range[0]
      return visit.BREAK
    },
  })
  return offset
}

const TEMPLATE_KEYS = ['reload', 'validate', 'check'] as const

/** Every operator command template (proxy.* and each host's overrides) must take {file} safely. */
function templateErrors(spec: ClusterSpec, doc: Document, file: string, at: (o: number) => Position): ConfigError[] {
  const places: {keyPath: (number | string)[]; template: string | undefined}[] = [
    ...TEMPLATE_KEYS.map((key) => ({keyPath: ['proxy', key], template: spec.proxy[key]})),
    ...spec.hosts.flatMap((host, index) => TEMPLATE_KEYS.map((key) => ({keyPath: ['hosts', index, key], template: host[key]}))),
  ]
  return places.flatMap(({keyPath, template}) => {
    const problem = template === undefined ? undefined : templateProblem(template)
    if (!problem) return []
    return [new ConfigError(`${keyPath.join('.')}: ${problem}`, {file, ...locate(doc, keyPath, at)}, {
      actions: ['hactl passes {file} to your command as one word in any other place: bare ({file}) or in double quotes ("{file}").'],
    })]
  })
}

function issueToError(issue: z.core.$ZodIssue, doc: Document, file: string, at: (o: number) => Position): ConfigError {
  const keyPath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  const dotted = keyPath.join('.')
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys
    const where = locate(doc, [...keyPath, key], at, true)
    const known = knownKeys(keyPath, doc)
    return new ConfigError(`unknown key "${[...keyPath, key].join('.')}"`, {file, ...where}, {
      actions: known.length > 0 ? [`Keys allowed here: ${known.join(', ')}.`] : [],
    })
  }
  const present = doc.hasIn(keyPath)
  if (!present && issue.code === 'invalid_type') {
    return new ConfigError(`missing required key "${dotted}"`, {file, ...locate(doc, keyPath.slice(0, -1), at)})
  }
  return new ConfigError(`${dotted || 'file'}: ${describeIssue(issue)}`, {file, ...locate(doc, keyPath, at)})
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod's own messages start with "Invalid"; a schema's custom message says more and is kept.
  if (issue.code === 'invalid_value' && /^Invalid/.test(issue.message)) return `must be one of ${issue.values.map(String).join(', ')}`
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`
  // Only dns.provider chooses between shapes of a section (see cluster/dns.ts).
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') return `must be one of ${DNS_PROVIDER_NAMES.join(', ')}`
  return issue.message
}

/** Line and column of the node at keyPath (or of its key), falling back to the nearest ancestor that exists. */
function locate(doc: Document, keyPath: (number | string)[], at: (o: number) => Position, onKey = false): Position {
  for (let depth = keyPath.length; depth >= 0; depth--) {
    const parentPath = keyPath.slice(0, Math.max(0, depth - 1))
    const parent = depth === 0 ? doc.contents : (doc.getIn(parentPath, true) as Node | undefined)
    if (depth === 0) return parent?.range ? at(parent.range[0]) : {line: 1, col: 1}
    const key = keyPath[depth - 1]
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as {value?: unknown} | null)?.value === key)
      const target = (onKey && depth === keyPath.length ? pair?.key : pair?.value ?? pair?.key) as Node | undefined
      if (target?.range) return at(target.range[0])
    }
    if (isSeq(parent) && typeof key === 'number') {
      const item = parent.items[key] as Node | undefined
      if (item?.range) return at(item.range[0])
    }
  }
  return {line: 1, col: 1}
}

function knownKeys(keyPath: (number | string)[], doc: Document): string[] {
  let schema: unknown = clusterSchema
  for (const [depth, key] of keyPath.entries()) {
    schema = chosenOption(unwrap(schema), doc, keyPath.slice(0, depth))
    const shape = (schema as {shape?: Record<string, unknown>}).shape
    if (shape && typeof key === 'string') schema = shape[key]
    else if ((schema as {element?: unknown}).element) schema = (schema as {element: unknown}).element
    else return []
  }
  const shape = (chosenOption(unwrap(schema), doc, keyPath) as {shape?: Record<string, unknown>}).shape
  return shape ? Object.keys(shape) : []
}

/** For a section whose shape a key chooses (dns.provider), the shape the file chose. */
function chosenOption(schema: unknown, doc: Document, at: (number | string)[]): unknown {
  const def = (schema as {_zod?: {def?: {discriminator?: string; options?: unknown[]}}})._zod?.def
  if (!def?.discriminator || !def.options) return schema
  const value: unknown = doc.getIn([...at, def.discriminator])
  const fits = (option: unknown): boolean => {
    const discriminator = (option as {shape?: Record<string, {safeParse?: (v: unknown) => {success: boolean}}>}).shape?.[def.discriminator as string]
    return discriminator?.safeParse?.(value).success ?? false
  }
  return def.options.find(fits) ?? schema
}

function unwrap(schema: unknown): unknown {
  let s = schema as {unwrap?: () => unknown; _zod?: {def?: {innerType?: unknown; in?: unknown}}} | undefined
  for (let i = 0; i < 5 && s; i++) {
    // A transformed section (a pipe) takes the keys of what goes in.
    const inner = s._zod?.def?.innerType ?? s._zod?.def?.in
    if (!inner) break
    s = inner as typeof s
  }
  return s
}
