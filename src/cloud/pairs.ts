/**
 * `topology: pairs`: which proxies and addresses form which pair. Pure: the
 * cloud's view in, what to launch, tag and allocate out, so `--dry-run`
 * prints the same plan a real run carries out and the sandbox builds its
 * pairs the same way `proxy launch` does on EC2.
 *
 * A pair is named `pair-N` (N from 1 to addresses.count) and recorded in the
 * `hactl:pair` tag of its two proxies and its one address. The members of a
 * pair go to two different zones where there are two; new members go where
 * the cluster has the fewest proxies.
 */
import type {ElasticAddress, Placement, ProxyInstance} from './provider.js'
import {TAG} from './tags.js'

export const MEMBERS_PER_PAIR = 2

export function pairName(n: number): string {
  return `pair-${n}`
}

/** The pairs a cluster with `count` addresses keeps: pair-1 … pair-count. */
export function wantedPairs(count: number): string[] {
  return Array.from({length: count}, (_, i) => pairName(i + 1))
}

/** The pair a proxy or address belongs to, from its tag; undefined when it has none. */
export function pairOf(resource: {tags: Record<string, string>}): string | undefined {
  const pair = resource.tags[TAG.pair]
  return pair ? pair : undefined
}

/** A proxy on its way out is no member any more: a new one takes its place. */
export function isMember(proxy: ProxyInstance): boolean {
  return proxy.state !== 'shutting-down' && proxy.state !== 'terminated'
}

export interface PairLaunchPlan {
  /** New proxies, each with the pair it joins. */
  placements: (Placement & {pair: string})[]
  /** Proxies of the cluster with no pair yet that join one (a tag, no launch). */
  adopt: {id: string; name?: string; zone: string; pair: string}[]
  /** Pair → its members after the plan (ids, or `new:<zone>` for a launch). */
  pairs: Record<string, string[]>
  notes: string[]
}

/** Natural order of pair names (pair-2 before pair-10). */
export function comparePairs(a: string, b: string): number {
  return a.localeCompare(b, 'en', {numeric: true})
}

/**
 * What brings the cluster to `count` pairs of two: proxies without a pair
 * join the pairs that miss a member first (a pair with a member takes one in
 * another zone), then new proxies fill what is left, each in the zone its
 * pair lacks, on the least loaded slot. Pairs that already have two members,
 * and proxies of pairs past `count`, are left as they are.
 */
export function planPairLaunch(existing: ProxyInstance[], count: number, slots: Placement[]): PairLaunchPlan {
  const live = existing.filter(isMember)
  const zoneLoad = new Map<string, number>()
  for (const p of live) zoneLoad.set(p.zone, (zoneLoad.get(p.zone) ?? 0) + 1)
  const slotLoad = slots.map(() => 0)
  const distinctZones = new Set(slots.map((s) => s.zone)).size
  const wanted = wantedPairs(count)
  const members = new Map<string, {id: string; zone: string}[]>(wanted.map((pair) => [pair, []]))
  const notes: string[] = []
  const untagged: ProxyInstance[] = []
  for (const p of [...live].sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id) || a.id.localeCompare(b.id))) {
    const pair = pairOf(p)
    if (pair === undefined) untagged.push(p)
    else if (members.has(pair)) members.get(pair)?.push({id: p.id, zone: p.zone})
    else notes.push(`${p.name ?? p.id} is in ${pair}, past the ${count} pair(s) of addresses.count: left as it is`)
  }
  for (const [pair, list] of members) {
    if (list.length > MEMBERS_PER_PAIR) notes.push(`${pair} has ${list.length} members: left as they are`)
    else if (list.length === MEMBERS_PER_PAIR && new Set(list.map((m) => m.zone)).size === 1 && distinctZones > 1) {
      notes.push(`both members of ${pair} are in ${list[0].zone}: one zone's outage takes the pair down`)
    }
  }

  const adopt: PairLaunchPlan['adopt'] = []
  for (const [pair, list] of members) {
    while (list.length < MEMBERS_PER_PAIR && untagged.length > 0) {
      const held = new Set(list.map((m) => m.zone))
      // From the zone with the most proxies still without a pair, so the ones left stay spread.
      const leftIn = (zone: string): number => untagged.filter((u) => u.zone === zone).length
      const fits = untagged.filter((u) => !held.has(u.zone)).sort((a, b) => leftIn(b.zone) - leftIn(a.zone))
      const chosen = fits[0]
      if (!chosen) break
      untagged.splice(untagged.indexOf(chosen), 1)
      list.push({id: chosen.id, zone: chosen.zone})
      adopt.push({id: chosen.id, ...(chosen.name ? {name: chosen.name} : {}), zone: chosen.zone, pair})
    }
  }
  for (const u of untagged) notes.push(`${u.name ?? u.id} (${u.zone}) is in no pair and no pair needs it: left as it is`)

  const placements: PairLaunchPlan['placements'] = []
  for (const [pair, list] of members) {
    while (list.length < MEMBERS_PER_PAIR && slots.length > 0) {
      const held = new Set(list.map((m) => m.zone))
      const load = (i: number): [number, number, number] => [held.has(slots[i].zone) ? 1 : 0, zoneLoad.get(slots[i].zone) ?? 0, slotLoad[i]]
      let best = 0
      for (let i = 1; i < slots.length; i++) if (compare(load(i), load(best)) < 0) best = i
      const slot = slots[best]
      slotLoad[best]++
      zoneLoad.set(slot.zone, (zoneLoad.get(slot.zone) ?? 0) + 1)
      list.push({id: `new:${slot.zone}`, zone: slot.zone})
      placements.push({...slot, pair})
    }
  }
  if (distinctZones === 1 && placements.length > 0) notes.push(`only one zone (${slots[0].zone}) to place proxies in: both members of a pair share it`)
  return {placements, adopt, pairs: Object.fromEntries([...members].map(([pair, list]) => [pair, list.map((m) => m.id)])), notes}
}

/** Members of a pair next to each other, pairs in order, resources without a pair last; the order within stays. */
export function byPair<T extends {tags: Record<string, string>}>(items: T[]): T[] {
  if (!items.some((i) => pairOf(i) !== undefined)) return items
  const order = (a: T, b: T): number => {
    const [x, y] = [pairOf(a), pairOf(b)]
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1
    return comparePairs(x, y)
  }
  return items.map((item, n) => ({item, n})).sort((a, b) => order(a.item, b.item) || a.n - b.n).map((x) => x.item)
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

export interface PairAddressPlan {
  /** Pairs that get a newly allocated address. */
  allocate: string[]
  /** Addresses of the cluster with no pair yet that become a pair's address (a tag). */
  adopt: {allocationId: string; publicIp: string; pair: string}[]
  notes: string[]
}

/**
 * One address per pair: a pair without one takes an address of the cluster
 * that has no pair (the one already on a member of the pair first, then an
 * unattached one), else a new one is allocated. Never releases.
 */
export function planPairAddresses(addresses: ElasticAddress[], proxies: ProxyInstance[], count: number): PairAddressPlan {
  const wanted = wantedPairs(count)
  const notes: string[] = []
  const have = new Map<string, ElasticAddress[]>()
  const untagged: ElasticAddress[] = []
  for (const a of [...addresses].sort((x, y) => x.publicIp.localeCompare(y.publicIp))) {
    const pair = pairOf(a)
    if (pair === undefined) untagged.push(a)
    else have.set(pair, [...(have.get(pair) ?? []), a])
  }
  for (const [pair, list] of have) {
    if (!wanted.includes(pair)) notes.push(`${list.map((a) => a.publicIp).join(', ')} of ${pair} is past the ${count} pair(s) of addresses.count: left as it is`)
    else if (list.length > 1) notes.push(`${pair} has ${list.length} addresses (${list.map((a) => a.publicIp).join(', ')}): the monitor keeps each on the pair`)
  }
  const pairOfProxy = new Map(proxies.map((p) => [p.id, pairOf(p)]))
  const allocate: string[] = []
  const adopt: PairAddressPlan['adopt'] = []
  for (const pair of wanted) {
    if (have.has(pair)) continue
    const onMember = untagged.find((a) => a.instanceId !== undefined && pairOfProxy.get(a.instanceId) === pair)
    const chosen = onMember ?? untagged.find((a) => a.instanceId === undefined) ?? untagged[0]
    if (chosen) {
      untagged.splice(untagged.indexOf(chosen), 1)
      adopt.push({allocationId: chosen.allocationId, publicIp: chosen.publicIp, pair})
    } else {
      allocate.push(pair)
    }
  }
  for (const a of untagged) notes.push(`${a.publicIp} is in no pair and no pair needs it: left as it is`)
  return {allocate, adopt, notes}
}
