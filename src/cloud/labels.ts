/**
 * How a person knows a proxy: by its name (`proxy-1`, the EC2 Name tag), with
 * the id beside it where two share that name, and by the id alone when it has
 * none. JSON keeps ids; lines meant to be read use these.
 */
export type Labels = ReadonlyMap<string, string>

export function proxyLabels(proxies: readonly {id: string; name?: string}[]): Labels {
  const uses = new Map<string, number>()
  for (const p of proxies) if (p.name) uses.set(p.name, (uses.get(p.name) ?? 0) + 1)
  return new Map(proxies.map((p) => [p.id, p.name ? ((uses.get(p.name) ?? 0) > 1 ? `${p.name} (${p.id})` : p.name) : p.id]))
}

export function labelOf(labels: Labels, id: string | undefined): string | undefined {
  return id === undefined ? undefined : (labels.get(id) ?? id)
}

/** Every known instance id in a sentence replaced by its label, in one pass (a label may contain its id). */
export function nameInstances(text: string, labels: Labels): string {
  const ids = [...labels.keys()].filter((id) => labels.get(id) !== id)
  if (ids.length === 0) return text
  const escaped = ids.sort((a, b) => b.length - a.length).map((id) => id.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return text.replaceAll(new RegExp(`(?<![\\w-])(?:${escaped.join('|')})(?![\\w-])`, 'g'), (id) => labels.get(id) ?? id)
}
