/**
 * The one way hactl changes a proxy config, whatever the engine: load →
 * parse → edit → validate with the proxy's own checker → write safely, all
 * under a lock on the file. Nothing here knows a config format.
 */
import type {AddServerSpec, AffinitySpec, EditOutcome, Engine, RouteInfo, RouteSpec, ServerInfo, ServerRef, ServerState, ValidationResult} from '../proxy-config/engine.js'
import {writeConfigFile, withFileLock} from '../proxy-config/files.js'
import type {TlsRemoveSpec, TlsSpec} from '../proxy-config/tls.js'
import {UsageError, ValidationRejectedError} from '../errors.js'
import {applyCompanionFiles, companionsFor, planCompanionFiles, type CompanionChange, type CompanionFiles} from './companion-files.js'
import {unifiedDiff} from '../diff.js'
import {silentReporter, type Reporter} from '../events.js'
import {loadConfig, resolveSource, type ConfigSourceOptions} from './config-source.js'

export type ConfigEdit =
  | {op: 'add-route'; spec: RouteSpec}
  | {op: 'add-server'; spec: AddServerSpec}
  | {op: 'remove-route'; spec: RouteSpec}
  | {op: 'remove-server'; backend: string; server: ServerRef}
  | {op: 'set-server-state'; backend: string; server: ServerRef; state: ServerState}
  | {op: 'set-affinity'; spec: AffinitySpec}
  /** Many servers in and out at once (`backend sync`): one edit, one validation, one write. */
  | {op: 'sync-servers'; changes: ServerChanges[]}
  | {op: 'add-tls'; spec: TlsSpec}
  | {op: 'remove-tls'; spec: TlsRemoveSpec}

export interface ServerChanges {
  backend: string
  add: AddServerSpec[]
  remove: ServerRef[]
}

export interface ConfigEditOptions extends ConfigSourceOptions {
  edit: ConfigEdit
  /** Print the diff, write nothing. */
  dryRun?: boolean
  /** false: skip the proxy's own checker (`--no-validate`). */
  validate?: boolean
  reporter?: Reporter
  /**
   * Checked after validation and before the write, only when there is
   * something to write: what must hold for the command to finish (a rollout
   * target, a stats socket). Throwing here leaves the file untouched.
   */
  beforeWrite?: () => Promise<void>
  /**
   * Files beside the config that change with it (certificates): validated
   * with the edited text, written (0600) before it, rolled out with it.
   */
  files?: CompanionFiles
}

export interface ValidationReport {
  validator: string
  /** `passed`; `skipped` (--no-validate or nothing changed); `preexisting`: the original already failed and the edit added no new error. */
  outcome: 'passed' | 'preexisting' | 'skipped'
  output?: string
}

export interface ConfigEditResult {
  /** The file as shown to the user, and its absolute path. */
  file: string
  path: string
  /** `cluster`: the cluster's config source (a rollout may follow); `file`: --file. */
  origin: 'cluster' | 'file'
  engine: string
  op: ConfigEdit['op']
  changed: boolean
  summary: string
  /** Unified diff of the change; empty when nothing changed. */
  diff: string
  dryRun: boolean
  /** true when the file on disk was replaced. */
  written: boolean
  backup?: string
  validation: ValidationReport
  server?: ServerInfo
  route?: RouteInfo
  /** What changed in the files beside the config (certificates). */
  files?: CompanionChange[]
}

/** Apply one edit to a parsed document (in place). */
export function applyEdit(engine: Engine, doc: Parameters<Engine['addServer']>[0], edit: ConfigEdit): EditOutcome {
  switch (edit.op) {
    case 'add-server': {
      return engine.addServer(doc, edit.spec)
    }
    case 'remove-server': {
      return engine.removeServer(doc, edit.backend, edit.server)
    }
    case 'set-server-state': {
      return engine.setServerState(doc, edit.backend, edit.server, edit.state)
    }
    case 'add-route': {
      return engine.addRoute(doc, edit.spec)
    }
    case 'remove-route': {
      return engine.removeRoute(doc, edit.spec)
    }
    case 'set-affinity': {
      return engine.setAffinity(doc, edit.spec)
    }
    case 'sync-servers': {
      return syncServers(engine, doc, edit.changes)
    }
    case 'add-tls': {
      return tlsOf(engine).addTls(doc, edit.spec)
    }
    case 'remove-tls': {
      return tlsOf(engine).removeTls(doc, edit.spec)
    }
  }
}

function tlsOf(engine: Engine): NonNullable<Engine['tls']> {
  if (engine.tls) return engine.tls
  throw new UsageError(`hactl does not write TLS listeners for ${engine.name}`, {
    actions: ['Write the listener by hand; keep the PEM in hactl-tls/ beside the config and config push carries it to every proxy.'],
  })
}

/** Adds before removals, so new lines copy the options of the servers they replace. */
function syncServers(engine: Engine, doc: Parameters<Engine['addServer']>[0], changes: ServerChanges[]): EditOutcome {
  const summaries: string[] = []
  let changed = false
  for (const c of changes) {
    const added = c.add.length > 0 ? engine.addServers(doc, c.add).filter((o) => o.changed).length : 0
    const removed = c.remove.length > 0 ? engine.removeServers(doc, c.backend, c.remove).filter((o) => o.changed).length : 0
    if (added + removed > 0) changed = true
    summaries.push(`backend ${c.backend}: ${added} added, ${removed} removed`)
  }
  return {changed, summary: summaries.join('; ')}
}

export async function editConfig(options: ConfigEditOptions): Promise<ConfigEditResult> {
  const reporter = options.reporter ?? silentReporter
  const source = resolveSource(options)
  const cycle = async (): Promise<ConfigEditResult> => {
    const {doc, engine, text} = await loadConfig(source)
    const outcome = applyEdit(engine, doc, options.edit)
    const after = doc.serialize()
    const files = await planCompanionFiles(source.path, options.files)
    const filesChanged = files.some((f) => f.action !== 'unchanged')
    const base = {
      file: source.display,
      path: source.path,
      origin: source.origin,
      engine: engine.name,
      op: options.edit.op,
      changed: (outcome.changed && after !== text) || filesChanged,
      summary: outcome.summary,
      diff: displayText(unifiedDiff(source.display, text, after)) + files.filter((f) => f.action !== 'unchanged').map((f) => `${f.action === 'remove' ? '-' : '+'} ${f.display}${f.note ? ` (${f.note})` : ''}\n`).join(''),
      dryRun: Boolean(options.dryRun),
      written: false,
      server: outcome.server,
      route: outcome.route,
      ...(options.files ? {files} : {}),
    }
    if (!base.changed) return {...base, validation: {validator: 'none', outcome: 'skipped'}}
    const companions = await companionsFor(source.path, options.files, files)
    let validation: ValidationReport
    try {
      validation = options.validate === false ? {validator: engine.name, outcome: 'skipped' as const} : await check(engine, text, after, source.display, reporter, companions.folders)
    } finally {
      await companions.release()
    }
    if (options.dryRun) return {...base, validation}
    await options.beforeWrite?.()
    await applyCompanionFiles(files)
    if (after === text) return {...base, validation, written: filesChanged}
    const {backup} = await writeConfigFile(source.path, after)
    reporter.emit({level: 'debug', code: 'config.write', message: `wrote ${source.display} (previous version in ${backup})`})
    return {...base, validation, written: true, backup}
  }
  return options.dryRun ? cycle() : withFileLock(source.path, source.display, cycle)
}

/**
 * Validate the edited text. When the checker rejects it, check the original
 * too: a file that already failed (certificates or maps that live only on the
 * proxies, a host name that resolves only there) may still be edited when the
 * edit adds no error of its own — every complaint about the edited file was
 * already made about the original (line numbers aside). Anything new is a
 * rejection (exit 3) with the checker's own words.
 */
async function check(engine: Engine, before: string, after: string, file: string, reporter: Reporter, companions: {before: Record<string, string>; after: Record<string, string>}): Promise<ValidationReport> {
  reporter.emit({level: 'debug', code: 'config.validate', message: `checking ${file} with ${engine.name}'s validator`})
  const edited = await engine.validate(after, {file, companions: companions.after})
  if (edited.ok) {
    // Say what checked it: for pound that is hactl's structural check, not the proxy's own.
    reporter.emit({level: 'debug', code: 'config.validate.passed', message: `${edited.validator}: ${edited.output || 'ok'}`})
    return {validator: edited.validator, outcome: 'passed', output: edited.output || undefined}
  }
  const original = await engine.validate(before, {file, companions: companions.before}).catch(() => undefined)
  const added = original && !original.ok ? newComplaints(original, edited) : complaints(edited)
  if (added.length === 0) {
    reporter.emit({
      level: 'warn',
      code: 'config.validate.preexisting',
      message: `${edited.validator} already rejected ${file} before this edit; the edit adds no new error (pass --no-validate to skip the check)`,
    })
    return {validator: edited.validator, outcome: 'preexisting', output: edited.output}
  }
  throw new ValidationRejectedError(`${edited.validator} rejected the edited ${file}; nothing was written:\n${added.map((l) => `  ${l}`).join('\n')}`, {
    actions: ['Fix what it names, or pass --no-validate when the file needs certificates or maps that exist only on the proxies.'],
    data: {validator: edited.validator, output: edited.output, line: edited.line},
  })
}

/** The validator's error lines, without notices and warnings. */
export function complaints(result: ValidationResult): string[] {
  return result.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/\[(NOTICE|WARNING|warn|notice)\]/i.test(l))
}

/** Complaints about the edited file that were not made about the original, compared without pids and line numbers. */
function newComplaints(original: ValidationResult, edited: ValidationResult): string[] {
  const normalize = (l: string): string =>
    l
      .replaceAll(/\(\d+\)/g, '')
      .replaceAll(/:\d+\]/g, ':N]')
      .replaceAll(/\bline \d+/g, 'line N')
      .replaceAll(/\s+/g, ' ')
  const known = new Set(complaints(original).map(normalize))
  return complaints(edited).filter((l) => !known.has(normalize(l)))
}

/** Diffs are shown as UTF-8 text; the file's bytes themselves are never re-encoded. */
function displayText(binary: string): string {
  return Buffer.from(binary, 'latin1').toString('utf8')
}
