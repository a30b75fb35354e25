/**
 * An edit of the cluster's config source followed by a rollout of it: what
 * `backend add|remove|drain|disable|enable` and `route add|remove` do without
 * --file. Edits of any other file (--file), dry runs and --no-push stop after the edit.
 */
import {loadCluster} from '../cluster/loader.js'
import type {Reporter} from '../ui/reporter.js'
import {editConfig, type ConfigEditOptions, type ConfigEditResult} from './config-edit.js'
import type {PushReport} from './config-sync.js'
import {checkRolloutPossible, rolloutEdited} from './rollout-after-edit.js'

export interface EditAndPushOptions extends ConfigEditOptions {
  push: boolean
  acceptNew?: boolean
  reporter: Reporter
}

export interface EditAndPushResult extends ConfigEditResult {
  /** The rollout that followed the edit; absent when none was due. */
  rollout?: PushReport
}

export async function editAndPush(options: EditAndPushOptions): Promise<EditAndPushResult> {
  // Whether a rollout can follow is checked before the write (only when one is due): a refusal then means nothing changed.
  const cluster = options.push && options.file === undefined && !options.dryRun ? await loadCluster(options.clusterFile) : undefined
  const result = await editConfig({...options, ...(cluster ? {beforeWrite: () => checkRolloutPossible(cluster, options.clusterFile)} : {})})
  if (!cluster || result.origin !== 'cluster' || !result.written) return result
  const rollout = await rolloutEdited(cluster, options.clusterFile, result, {reporter: options.reporter, acceptNew: options.acceptNew})
  return {...result, rollout}
}
