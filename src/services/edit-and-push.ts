/**
 * An edit of the cluster's config source followed by a rollout of it: what
 * `backend add|remove|drain|disable|enable` and `route add|remove` do without
 * --file. Edits of any other file (--file), dry runs and --no-push stop after the edit.
 */
import type {Reporter} from '../ui/reporter.js'
import {editConfig, type ConfigEditOptions, type ConfigEditResult} from './config-edit.js'
import type {PushReport} from './config-sync.js'

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
  if (!options.push || options.file !== undefined || options.dryRun) return editConfig(options)
  // The cluster file and the rollout load only when there is one to do: an edit with --file starts faster.
  const [{loadCluster}, {checkRolloutPossible, rolloutEdited}] = await Promise.all([import('../cluster/loader.js'), import('./rollout-after-edit.js')])
  const cluster = await loadCluster(options.clusterFile)
  const result = await editConfig({
    ...options,
    beforeWrite: async () => {
      await checkRolloutPossible(cluster, options.clusterFile)
      await options.beforeWrite?.()
    },
  })
  if (result.origin !== 'cluster' || !result.written) return result
  const rollout = await rolloutEdited(cluster, options.clusterFile, result, {reporter: options.reporter, acceptNew: options.acceptNew})
  return {...result, rollout}
}
