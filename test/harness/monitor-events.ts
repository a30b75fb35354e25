/** One event a monitor printed as a JSON line (`--json`, or its events file). */
export interface MonitorEvent {
  time: string
  round: string
  level: string
  code: string
  subject?: string
  message: string
  data?: Record<string, unknown>
}

/** The JSON-line events in a monitor's output; other lines (progress, warnings) are skipped. */
export function parseEvents(output: string): MonitorEvent[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as MonitorEvent)
}
