/**
 * The rollout that follows an edit of the cluster's config source. By then
 * the source has changed on disk: when the rollout cannot start, the user
 * must hear that the file was edited and is not on the proxies, and how to
 * finish (or undo) the change — never a bare cloud error.
 */
import type {Cluster} from '../cluster/loader.js'
import {ExitCode, HactlError} from '../errors.js'
import {quote} from '../remote/quote.js'
import type {Reporter} from '../events.js'
import {clusterTargets, pushConfig, type PushReport} from './config-sync.js'

export interface EditedSource {
  /** The source as shown to the user. */
  file: string
  /** What the edit did, one line. */
  summary: string
  /** The previous version kept beside the file. */
  backup?: string
}

/**
 * Everything a rollout needs that can be known before the first write: the
 * cluster answers and has proxies to push to. A failure here is reported with
 * "nothing was edited" (its own exit code), and the file stays as it was.
 */
export async function checkRolloutPossible(cluster: Cluster): Promise<void> {
  try {
    await clusterTargets(cluster)
  } catch (error) {
    if (!(error instanceof HactlError)) throw error
    throw new HactlError(error.code, error.exitCode, `${error.message}; nothing was edited`, {
      actions: [...sandboxHint(cluster, error.message), ...error.actions.filter((a) => !/sandbox up/.test(a)), 'Or edit the source only, with --no-push, and roll it out later with `hactl config push`.'],
      cause: error,
      location: error.location,
      data: error.data,
    })
  }
}

/**
 * Push the edited source. When the rollout cannot start, or reaches no proxy,
 * the user hears "edited FILE; not rolled out: WHY" with exit 4 (the change
 * is half done: in the source, on no proxy), never a bare cloud error (7).
 */
export async function rolloutEdited(cluster: Cluster, edited: EditedSource, options: {reporter: Reporter; acceptNew?: boolean}): Promise<PushReport> {
  let report: PushReport
  try {
    report = await pushConfig(cluster, {reporter: options.reporter, acceptNew: options.acceptNew})
  } catch (error) {
    throw notRolledOut(cluster, edited, error)
  }
  const reached = report.hosts.some((h) => h.status === 'updated' || h.status === 'unchanged')
  if (!reached && report.exitCode !== ExitCode.ok) {
    const why = [...new Set(report.hosts.map((h) => `${h.host} ${h.status}${h.message ? `: ${h.message}` : ''}`))].join('; ')
    options.reporter.emit({level: 'error', code: 'rollout.not-rolled-out', message: `edited ${edited.file}; not rolled out: ${why}`})
    options.reporter.emit({level: 'error', code: 'rollout.not-rolled-out', message: `roll it out once that is fixed: hactl config push -c ${quote(cluster.file)}`})
    // Host keys or credentials refused everywhere: still a half-done change, not a cloud error with nothing changed.
    if (report.exitCode === ExitCode.cloud) return {...report, exitCode: ExitCode.partial}
  }
  return report
}

export function notRolledOut(cluster: Cluster, edited: EditedSource, error: unknown): HactlError {
  const why = error instanceof HactlError ? error.message : (error as Error).message
  return new HactlError('not-rolled-out', ExitCode.partial, `edited ${edited.file} (${edited.summary}); not rolled out: ${why}`, {
    actions: [
      ...sandboxHint(cluster, why),
      `Roll it out once that is fixed: hactl config push -c ${quote(cluster.file)}`,
      ...(edited.backup ? [`Or put the previous version back from ${edited.backup}.`] : []),
    ],
    cause: error,
    data: {file: edited.file, edited: true, rolledOut: false},
  })
}

function sandboxHint(cluster: Cluster, why: string): string[] {
  return cluster.spec.provider === 'local' && /no sandbox is running/.test(why) ? [`Start the sandbox: hactl sandbox up -c ${quote(cluster.file)}`] : []
}
