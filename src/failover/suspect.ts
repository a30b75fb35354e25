/**
 * Does the monitor trust what it saw? Pure: this round's probes and health
 * in, a suspicion out. A monitor that is cut off from the proxies (its own
 * network, a firewall rule, a dead route) sees them all fail at once, though
 * clients reach them fine; moving addresses on that view would do harm, so:
 *
 * - a round in which every running proxy fails its probe (and one has reached
 *   `fall`) is suspect, until a proxy is healthy again: no proxy could take
 *   an address meanwhile anyway, and the alert names the monitor, not the
 *   proxies;
 * - a round in which more than half of the running proxies turn unhealthy at
 *   once is suspect too, while those proxies keep failing, for at most
 *   `confirmMs` (the hold-down): a view that stays that way is believed, since
 *   a single monitor cannot tell its own cut from a real outage for ever.
 */
import type {Health} from './planner.js'

export interface Suspicion {
  kind: 'all' | 'flip'
  /** When the monitor started doubting (ms since the epoch). */
  since: number
  /** The proxies that failed (for `flip`, the ones that failed together). */
  proxies: string[]
  message: string
}

export interface ViewCheck {
  /** Each running proxy's probe of this round: true ok, false failed, undefined no result. */
  probes: Record<string, boolean | undefined>
  /** Rise/fall health before and after this round. */
  before: Record<string, Health>
  after: Record<string, Health>
  previous?: Suspicion
  now: number
  /** How long a mass flip is doubted before it is believed. */
  confirmMs: number
}

export interface ViewVerdict {
  suspicion?: Suspicion
  /** Set when a doubted mass flip is now believed: what to say. */
  believed?: string
}

export function suspectView(check: ViewCheck): ViewVerdict {
  const running = Object.keys(check.probes).filter((id) => check.probes[id] !== undefined).sort()
  const failing = running.filter((id) => check.probes[id] === false)
  const n = running.length
  const unreachable = `${failing.length} of ${n} proxies unreachable from here`

  const previous = check.previous
  if (n > 0 && failing.length === n && failing.some((id) => check.after[id] === 'unhealthy')) {
    const message = `the monitor may be cut off: ${unreachable}; no moves while it sees none, still probing`
    return {suspicion: {kind: 'all', since: previous?.kind === 'all' ? previous.since : check.now, proxies: failing, message}}
  }
  // Coming back: until one proxy is healthy again (rise reached) nothing could take an address anyway,
  // and the view is not yet clear enough to blame the proxies one by one.
  if (previous?.kind === 'all' && n > 0 && !running.some((id) => check.after[id] === 'healthy')) return {suspicion: previous}

  const flipped = running.filter((id) => check.before[id] === 'healthy' && check.after[id] === 'unhealthy')
  const confirm = `${Math.round(check.confirmMs / 1000)} s`
  const flipMessage = (together: number): string =>
    `the monitor may be cut off: ${unreachable} (${together} turned unhealthy at once); no moves for up to ${confirm} while it keeps probing`
  // With no hold-down there is no time to doubt for: a mass flip is taken as it is.
  if (n > 0 && flipped.length > n / 2 && check.confirmMs > 0) {
    return {suspicion: {kind: 'flip', since: check.now, proxies: flipped, message: flipMessage(flipped.length)}}
  }

  if (previous?.kind === 'flip') {
    const stillFailing = previous.proxies.filter((id) => check.probes[id] === false)
    if (stillFailing.length === 0) return {}
    if (check.now - previous.since < check.confirmMs) return {suspicion: {...previous, message: flipMessage(previous.proxies.length)}}
    return {believed: `${stillFailing.length} of ${n} proxies still unreachable after ${confirm}: taking it as real and moving their addresses`}
  }
  return {}
}
