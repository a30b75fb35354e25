/**
 * What gets probed and how: the cluster file's probe settings turned into
 * probe options for each proxy (private address), each address (its public
 * IP, from outside) and each backend server of the config source.
 */
import type {ProbeSpec} from '../cluster/schema.js'
import type {ProbeKind, ProbeOptions} from './probe.js'

export type TargetKind = 'address' | 'backend' | 'proxy'

export interface Target {
  /** Instance id, allocation id, or `backend/server`. */
  id: string
  kind: TargetKind
  /** Where the packets go; undefined when there is no address to probe. */
  address?: string
  port?: number
  /** What the user knows it by in tables: name, public IP, address:port. */
  label: string
}

export function probeOptions(spec: ProbeSpec, address: string, port = spec.port): ProbeOptions {
  return {
    kind: spec.type as ProbeKind,
    address,
    port,
    timeoutMs: spec.timeout,
    path: spec.path,
    host: spec.host,
    expectStatus: spec.expectStatus,
    expectBody: spec.expectBody,
    insecure: spec.insecure,
  }
}

/** Backends default to a TCP connect with the proxy probe's timeout; `health.backends` overrides any of it. */
export function backendProbeSpec(proxy: ProbeSpec, backends: Partial<ProbeSpec> | undefined): ProbeSpec {
  return {...proxy, type: 'tcp', path: '/', host: undefined, expectBody: undefined, ...backends}
}
