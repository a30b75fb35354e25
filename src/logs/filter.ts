/** `hactl logs`'s selection: a time range, a backend, status classes. Pure: flags in, a predicate out. */
import {parseDuration} from '../cluster/duration.js'
import type {AccessRecord} from './record.js'

export interface LogFilter {
  since?: number
  until?: number
  backend?: string
  /** Each entry matches a status: [low, high] inclusive. */
  status?: [number, number][]
}

/** `15m` (that long before `now`) or an ISO 8601 time; undefined when neither. */
export function parseWhen(text: string, now: number): number | undefined {
  const ago = parseDuration(text)
  if (ago !== undefined) return now - ago
  if (!/^\d{4}-\d\d-\d\d/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : at
}

/** `5xx`, `404`, `4xx,503` to status ranges; undefined when a part is neither. */
export function parseStatus(text: string): [number, number][] | undefined {
  const ranges: [number, number][] = []
  for (const part of text.split(',')) {
    const p = part.trim().toLowerCase()
    if (/^[1-5]xx$/.test(p)) ranges.push([Number(p[0]) * 100, Number(p[0]) * 100 + 99])
    else if (/^[1-5]\d\d$/.test(p)) ranges.push([Number(p), Number(p)])
    else return undefined
  }
  return ranges
}

export function matches(filter: LogFilter, r: AccessRecord): boolean {
  if (filter.since !== undefined && r.time < filter.since) return false
  if (filter.until !== undefined && r.time > filter.until) return false
  if (filter.backend !== undefined && r.backend !== filter.backend) return false
  if (filter.status && !filter.status.some(([low, high]) => r.status >= low && r.status <= high)) return false
  return true
}
