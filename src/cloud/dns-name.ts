/** A DNS name as zones hold it: lower case, with the trailing dot, so names compare equal however the cluster file spells them. */
export function absoluteName(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower : `${lower}.`
}
