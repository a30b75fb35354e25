/**
 * How a monitor round carries out the moves it planned: through the failover
 * executor, or (in tests) through a runner standing in for the cloud.
 */
import type {PoolCloud} from '../cloud/capabilities.js'
import type {ElasticAddress} from '../cloud/provider.js'
import type {Reporter} from '../events.js'
import {executeFailover, type ExecutedAction} from '../failover/executor.js'
import type {FailoverAction} from '../failover/planner.js'

export type AssociateAction = Extract<FailoverAction, {kind: 'associate'}>

/**
 * Carries out the round's associations and confirms the cloud shows them
 * (the failover executor; `current` is the describe the round just made).
 */
export type ActionRunner = (actions: AssociateAction[], current: ElasticAddress[], reporter: Reporter) => Promise<ExecutedAction[]>

/** The executor, as the monitor runs it. */
export function executorRunner(provider: PoolCloud, options: {verifyTimeoutMs?: number} = {}): ActionRunner {
  return async (actions, current, reporter) =>
    (await executeFailover({actions, notes: []}, provider, {reporter, current, verifyTimeoutMs: options.verifyTimeoutMs ?? 10_000, firstVerifyDelayMs: 50})).results
}
