import type {ProbeSpec} from '../cluster/schema.js'
import {mapLimit} from '../util/map-limit.js'
import {probe, type ProbeResult} from './probe.js'
import {probeOptions, type Target} from './targets.js'

export interface ProbedTarget extends Target {
  probe: string
  /** Undefined when the target has no address to probe. */
  result?: ProbeResult
}

/** Probe every target at once, at most `concurrency` in flight; a round takes about one timeout, not one per target. */
export async function probeTargets(targets: readonly Target[], spec: ProbeSpec, concurrency: number): Promise<ProbedTarget[]> {
  return mapLimit(targets, concurrency, async (target) => {
    if (!target.address) return {...target, probe: spec.type}
    return {...target, probe: spec.type, result: await probe(probeOptions(spec, target.address, target.port ?? spec.port))}
  })
}
