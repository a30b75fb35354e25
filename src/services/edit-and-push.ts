/**
 * An edit of the cluster's config source followed by a rollout of it: what
 * `backend add|remove|drain|disable|enable` and `route add|remove` do without
 * --file. Edits of any other file (--file), dry runs and --no-push stop after the edit.
 */
import type {Reporter} from '../events.js'
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
  const {cluster} = options
  if (!options.push || options.file !== undefined || options.dryRun || !cluster) return editConfig(options)
  // The rollout loads only when there is one to do: an edit with --file starts faster.
  const {checkRolloutPossible, rolloutEdited} = await import('./rollout-after-edit.js')
  const result = await editConfig({
    ...options,
    beforeWrite: async () => {
      await checkRolloutPossible(cluster)
      await options.beforeWrite?.()
    },
  })
  if (result.origin !== 'cluster' || !result.written) return result
  const rollout = await rolloutEdited(cluster, result, {reporter: options.reporter, acceptNew: options.acceptNew})
  return {...result, rollout}
}
