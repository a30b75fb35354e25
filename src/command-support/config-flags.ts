/** Flags shared by the commands that read or edit a proxy config (backend …, route …). */
import {Flags} from '@oclif/core'

import type {Cluster} from '../cluster/loader.js'
import {ENGINES} from '../cluster/names.js'
import type {EngineName} from '../cluster/schema.js'
import {ConfigError} from '../errors.js'
import type {ConfigSourceOptions} from '../services/config-source.js'

export const sourceFlags = {
  file: Flags.string({summary: "Work on this config file only (default: the cluster file's proxy.config).", helpValue: 'PATH'}),
  engine: Flags.option({summary: 'Config format; detected from the file name and content when not given.', options: ENGINES})(),
}

export const editFlags = {
  ...sourceFlags,
  validate: Flags.boolean({
    summary: "Check the result with the proxy's own validator (haproxy -c, nginx -t, a perlbal trial start; pound: structural) before writing; --no-validate skips it.",
    allowNo: true,
    default: true,
  }),
  push: Flags.boolean({
    summary: 'Roll the change out to the proxies; --no-push only edits the source and does not roll out.',
    allowNo: true,
    default: true,
  }),
  'accept-new': Flags.boolean({summary: 'When pushing: record the host key of a host never seen before (a changed key is still refused).'}),
}

/**
 * Where the config comes from, from the flags every config command shares:
 * --file alone (the cluster file is then never read: a quick edit needs no
 * cluster), else the command's loaded cluster.
 */
export async function sourceOptions(flags: {engine?: EngineName; file?: string}, cluster: () => Promise<Cluster>): Promise<ConfigSourceOptions> {
  if (flags.file !== undefined) return {file: flags.file, engine: flags.engine}
  const loaded = await cluster().catch((error: unknown) => {
    if (error instanceof ConfigError && error.location?.line === undefined) {
      throw new ConfigError(error.message, error.location!, {actions: [...error.actions, 'Or edit a config file directly with --file PATH.'], cause: error})
    }
    throw error
  })
  return {engine: flags.engine, cluster: loaded}
}

export async function editOptions(
  flags: {'dry-run': boolean; engine?: EngineName; file?: string; validate: boolean},
  cluster: () => Promise<Cluster>,
): Promise<ConfigSourceOptions & {dryRun: boolean; validate: boolean}> {
  return {...(await sourceOptions(flags, cluster)), dryRun: flags['dry-run'], validate: flags.validate}
}
