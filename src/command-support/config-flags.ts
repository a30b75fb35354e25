/** Flags shared by the commands that read or edit a proxy config (backend …, route …). */
import {Flags} from '@oclif/core'

import {ENGINES} from '../cluster/names.js'
import type {EngineName} from '../cluster/schema.js'
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

/** Where the config comes from, from the flags every config command shares. */
export function sourceOptions(flags: {cluster: string; engine?: EngineName; file?: string}): ConfigSourceOptions {
  return {file: flags.file, engine: flags.engine, clusterFile: flags.cluster}
}

export function editOptions(flags: {cluster: string; 'dry-run': boolean; engine?: EngineName; file?: string; validate: boolean}): ConfigSourceOptions & {dryRun: boolean; validate: boolean} {
  return {...sourceOptions(flags), dryRun: flags['dry-run'], validate: flags.validate}
}
