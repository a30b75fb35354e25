/**
 * The errors an edit can meet, worded the same way by every engine: each
 * names the file and says what to do next.
 */
import {UsageError} from '../errors.js'
import type {AddServerSpec, BackendInfo} from './engine.js'
import {checkEndpoint, formatEndpoint} from './endpoint.js'

/** `what` is the engine's word for a backend: upstream, Service, pool. */
export function unknownBackend(file: string, what: string, name: string, backends: BackendInfo[], next = ['Pass --create to add it.']): UsageError {
  const known = backends.map((b) => b.name)
  return new UsageError(`${file} has no ${what} "${name}"`, {
    actions: [
      known.length > 0 ? `${file} has: ${known.join(', ')}.` : `${file} has no ${what} yet.`,
      ...next,
    ],
    data: {backend: name, backends: known},
  })
}

export function unknownServer(file: string, backend: string, ref: string, servers: {name: string}[]): UsageError {
  return new UsageError(`${backend} in ${file} has no server "${ref}"`, {
    actions: [servers.length > 0 ? `Servers there: ${servers.map((s) => s.name).join(', ')}.` : `${backend} has no servers.`],
    data: {backend, server: ref},
  })
}

/** Engines whose servers are named by their address alone refuse another name. */
export function namesNotSupported(engine: string, given: string, written: string): UsageError {
  return new UsageError(`${engine} names a server by its address: it cannot be called "${given}"`, {
    actions: [`Leave out --name; the server will be known as ${written}.`],
  })
}

export function optionNotSupported(engine: string, option: string, why: string): UsageError {
  return new UsageError(`${engine} has no ${option}: ${why}`, {actions: [`Run the command again without --${option}.`]})
}

/** The new server's address as the engine writes it, for engines that know a server by its address alone. */
export function addressAsName(engine: string, spec: AddServerSpec): string {
  checkEndpoint(spec.address, spec.port)
  const written = formatEndpoint(spec.address, spec.port)
  if (spec.name !== undefined && spec.name !== written) throw namesNotSupported(engine, spec.name, written)
  return written
}
