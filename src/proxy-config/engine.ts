/**
 * The contract every proxy config engine (haproxy, nginx, pound, perlbal) meets.
 *
 * Text convention: engines work on "binary strings" in which each char is one
 * byte of the file (latin1), so files that are not valid UTF-8 round-trip byte
 * for byte. `readConfigFile`/`writeConfigFile` in ./files.ts do the conversion.
 *
 * A document serializes back to exactly the text it was parsed from, by
 * construction; edits mutate the document in place and touch only the lines
 * they must.
 */
import type {EngineName} from '../cluster/schema.js'
import type {TlsBinding, TlsRemoveSpec, TlsSpec} from './tls.js'

export type {EngineName} from '../cluster/schema.js'

export type ServerState = 'disabled' | 'drain' | 'enabled'

export interface ServerInfo {
  backend: string
  name: string
  /** Host name or IP as written (without brackets for IPv6). */
  address: string
  /** Undefined when the config leaves it to a default or a template. */
  port?: number
  state: ServerState
  weight?: number
  backup: boolean
  /** Options after the address, as written (tokens). */
  options: string[]
  /** 1-based line in the file. */
  line: number
}

export interface BackendInfo {
  name: string
  /** Section kind as the engine calls it: `backend`, `listen`, `upstream`, `Service`, `POOL`. */
  kind: string
  line: number
  servers: ServerInfo[]
  /** How the backend keeps a client on one server. */
  affinity?: Affinity
}

/**
 * Session affinity as hactl writes it: `cookie` (the proxy, or for nginx and
 * pound the application, sets a cookie that names the server), `source` (by
 * client address), `off`. A backend whose persistence hactl did not write
 * (haproxy `stick-table`, nginx `sticky`, pound `Session Type URL`) reads as `other`.
 */
export type AffinityMode = 'cookie' | 'off' | 'source'

export interface Affinity {
  mode: AffinityMode | 'other'
  /** The cookie's name in `cookie` mode. */
  cookie?: string
}

export interface AffinitySpec {
  backend: string
  mode: AffinityMode
  /** Cookie name for `cookie` mode (default SERVERID). */
  cookie?: string
}

export const DEFAULT_AFFINITY_COOKIE = 'SERVERID'

export type RouteKind = 'host' | 'path'

export interface RouteInfo {
  /** The frontend / server block / listener the rule lives in. */
  frontend: string
  kind: RouteKind
  match: string
  backend: string
  line: number
}

export interface AddServerSpec {
  backend: string
  address: string
  port: number
  /** Generated from the address when absent, unique in the backend. */
  name?: string
  weight?: number
  backup?: boolean
  /** false: do not copy health-check options (`--no-check`). */
  check?: boolean
  /** Create the backend when it does not exist. */
  create?: boolean
}

/** A server named by its name or by `address:port`. */
export type ServerRef = string

/**
 * Whether two route matches name the same thing: host names are
 * case-insensitive (RFC 4343), so `A.example.com` and `a.example.com` are one
 * host for duplicate and conflict checks; paths are compared as written.
 * The file keeps the user's spelling.
 */
export function sameMatch(kind: RouteKind, a: string, b: string): boolean {
  return kind === 'host' ? a.toLowerCase() === b.toLowerCase() : a === b
}

export interface RouteSpec {
  frontend?: string
  kind: RouteKind
  match: string
  backend: string
  create?: boolean
}

export interface EditOutcome {
  /** false when the document already was as asked (idempotent no-op). */
  changed: boolean
  /** One line for humans: `added server web3 10.0.1.7:8080 to backend web`. */
  summary: string
  /** The server or route the edit was about, after the edit. */
  server?: ServerInfo
  route?: RouteInfo
}

export interface ConfigDocument {
  readonly engine: EngineName
  /** File name for messages. */
  readonly file: string
  serialize(): string
}

export interface ValidationResult {
  ok: boolean
  /** What validated it: `haproxy -c`, `nginx -t`, `structural`. */
  validator: string
  /** The validator's own words, for the user. */
  output: string
  /** Where the validator pointed, when it said. */
  line?: number
}

export interface ValidateOptions {
  /** Name to report problems against. */
  file: string
  /**
   * Folders the config names by a relative path (`hactl-tls`), as NAME →
   * absolute folder: the validator sees them beside its copy of the text.
   */
  companions?: Record<string, string>
  /** Skip the real binary even when present. */
  structuralOnly?: boolean
}

/** TLS termination as edits of the engine's document (see ./tls.ts for the specs). */
export interface TlsEngine<D> {
  addTls(doc: D, spec: TlsSpec): EditOutcome
  removeTls(doc: D, spec: TlsRemoveSpec): EditOutcome
  listTls(doc: D): TlsBinding[]
}

export interface Engine<D extends ConfigDocument = ConfigDocument> {
  readonly name: EngineName
  /** Throws ConfigError (file:line) when the text cannot be understood. */
  parse(text: string, file: string): D
  listBackends(doc: D): BackendInfo[]
  addServer(doc: D, spec: AddServerSpec): EditOutcome
  removeServer(doc: D, backend: string, ref: ServerRef): EditOutcome
  /**
   * Many adds at once (`backend sync`): the same bytes as adding them one by
   * one, in that order, but in one pass where the engine can; one outcome per spec.
   */
  addServers(doc: D, specs: readonly AddServerSpec[]): EditOutcome[]
  /** Many removals from one backend at once: the same bytes as removing them one by one. */
  removeServers(doc: D, backend: string, refs: readonly ServerRef[]): EditOutcome[]
  setServerState(doc: D, backend: string, ref: ServerRef, state: ServerState): EditOutcome
  listRoutes(doc: D): RouteInfo[]
  addRoute(doc: D, spec: RouteSpec): EditOutcome
  removeRoute(doc: D, spec: RouteSpec): EditOutcome
  /**
   * Make the backend's session affinity the mode asked for; `off` removes
   * what the other modes add. An engine with no affinity throws a UsageError
   * that says which engines have it.
   */
  setAffinity(doc: D, spec: AffinitySpec): EditOutcome
  /** Validate serialized text with the real binary where present, else structurally. */
  validate(text: string, options: ValidateOptions): Promise<ValidationResult>
  /** TLS listeners and certificates (`tls add|remove|list`); absent where hactl cannot write them for this engine. */
  readonly tls?: TlsEngine<D>
}
