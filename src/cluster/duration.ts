const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/

/** `500ms`, `2s`, `1.5m`, `1h` → milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim())
  if (!match) return undefined
  return Math.round(Number(match[1]) * UNITS[match[2]])
}

/** The shortest exact way to write a duration back. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`
  }
  return `${ms}ms`
}
