/**
 * Runs the associate actions of a failover plan on the address pool: one
 * describe right before the moves to check that each address is still where
 * the plan saw it (another actor may have moved it meanwhile), the moves,
 * then describes with capped backoff until every association shows (the
 * cloud is eventually consistent), within a bounded wait.
 */
import type {PoolCloud} from '../cloud/capabilities.js'
import type {ProviderOperation} from '../cloud/operations.js'
import type {ElasticAddress} from '../cloud/provider.js'
import {runOperation} from '../cloud/run-operation.js'
import type {Reporter} from '../events.js'
import {poll} from '../util/poll.js'
import type {FailoverAction, FailoverPlan} from './planner.js'

export type Outcome = 'alerted' | 'failed' | 'moved' | 'skipped' | 'unverified'

export interface ExecutedAction {
  action: FailoverAction
  outcome: Outcome
  detail: string
  /** The address already was where the plan wanted it (outcome `moved`): no call was made. */
  already?: boolean
}

/** An association call went to the cloud for it, verified or not: what the remap budget counts. */
export function issued(result: ExecutedAction): boolean {
  return result.action.kind === 'associate' && (result.outcome === 'moved' || result.outcome === 'unverified') && !result.already
}

/** The provider operation a planned move is: what `--dry-run` lists and what the executor runs. */
export function moveOperation(move: {allocationId: string; to: string}): Extract<ProviderOperation, {op: 'associateAddress'}> {
  return {op: 'associateAddress', allocationId: move.allocationId, instanceId: move.to}
}

export interface ExecutionResult {
  results: ExecutedAction[]
  /** The addresses as last described (after the verify), or as first described when nothing moved. */
  addresses: ElasticAddress[]
  /** Describe calls made to verify. */
  verifyRounds: number
}

export interface ExecuteOptions {
  reporter: Reporter
  /** Give up verifying after this long (default 30 s). */
  verifyTimeoutMs?: number
  /** First wait before describing again; doubles up to 2 s. */
  firstVerifyDelayMs?: number
  /** Addresses as just described, to skip the holder-check describe (the caller holds the lock and just looked). */
  current?: ElasticAddress[]
}

type Associate = Extract<FailoverAction, {kind: 'associate'}>

export async function executeFailover(plan: FailoverPlan, provider: PoolCloud, options: ExecuteOptions): Promise<ExecutionResult> {
  const {reporter} = options
  const results: ExecutedAction[] = []
  for (const action of plan.actions) {
    if (action.kind !== 'alert') continue
    reporter.emit({level: 'warn', code: 'failover.alert', message: action.message})
    results.push({action, outcome: 'alerted', detail: action.message})
  }
  const moves = plan.actions.filter((a): a is Associate => a.kind === 'associate')
  if (moves.length === 0) return {results, addresses: options.current ?? [], verifyRounds: 0}

  const before = options.current ?? (await provider.listAddresses())
  const started: Associate[] = []
  for (const move of moves) {
    const now = before.find((a) => a.allocationId === move.allocationId)
    if (now?.instanceId === move.to) {
      results.push({action: move, outcome: 'moved', detail: `already on ${move.to}`, already: true})
      continue
    }
    if (!now || now.instanceId !== move.from) {
      const detail = now ? `holder changed to ${now.instanceId ?? 'none'} since the plan was made: left alone` : 'address no longer exists'
      reporter.emit({level: 'warn', code: 'failover.skip', subject: move.publicIp, message: detail})
      results.push({action: move, outcome: 'skipped', detail})
      continue
    }
    reporter.emit({level: 'info', code: 'failover.associate', subject: move.publicIp, message: `moving ${move.from ?? '(unattached)'} → ${move.to} (${move.toZone}): ${move.reason}`})
    try {
      await runOperation({addresses: provider}, moveOperation(move))
      started.push(move)
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error)
      reporter.emit({level: 'error', code: 'failover.failed', subject: move.publicIp, message: detail})
      results.push({action: move, outcome: 'failed', detail})
    }
  }
  const verified = await verifyAssociations(provider, started, options)
  for (const move of started) {
    const ok = verified.addresses.find((a) => a.allocationId === move.allocationId)?.instanceId === move.to
    results.push({action: move, outcome: ok ? 'moved' : 'unverified', detail: ok ? `on ${move.to}` : `association not visible after ${verified.rounds} describes`})
    if (ok) reporter.emit({level: 'info', code: 'failover.verified', subject: move.publicIp, message: `now on ${move.to}`})
  }
  return {results, addresses: verified.addresses.length > 0 ? verified.addresses : before, verifyRounds: verified.rounds}
}

/** Describe until every move shows, waiting 100 ms, 200 ms, … capped at 2 s, within the timeout. */
export async function verifyAssociations(
  provider: PoolCloud,
  moves: {allocationId: string; to: string}[],
  options: Pick<ExecuteOptions, 'firstVerifyDelayMs' | 'reporter' | 'verifyTimeoutMs'>,
): Promise<{addresses: ElasticAddress[]; rounds: number}> {
  if (moves.length === 0) return {addresses: [], rounds: 0}
  const pending = (addresses: ElasticAddress[]): number => moves.filter((m) => addresses.find((a) => a.allocationId === m.allocationId)?.instanceId !== m.to).length
  const {value, tries} = await poll(
    () => provider.listAddresses(),
    (addresses) => pending(addresses) === 0,
    {
      timeoutMs: options.verifyTimeoutMs ?? 30_000,
      delayMs: options.firstVerifyDelayMs ?? 100,
      maxDelayMs: 2000,
      onRetry: (addresses, pause) =>
        options.reporter.emit({level: 'debug', code: 'failover.verify', message: `${pending(addresses)} association(s) not visible yet; describing again in ${pause} ms`}),
    },
  )
  return {addresses: value, rounds: tries}
}
