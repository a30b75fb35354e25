import type {Terminal} from './terminal.js'

export interface Column<T> {
  header: string
  get: (row: T) => boolean | number | string | undefined
}

function cell(value: boolean | number | string | undefined): string {
  if (value === undefined) return '-'
  return String(value)
}

/**
 * On a TTY: aligned columns under a header. Piped: one tab-separated line per
 * row and no header, so `cut -f2` and `awk -F'\t'` work without surprises.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], terminal: Pick<Terminal, 'tty'>): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.get(row))))
  if (!terminal.tty) return cells.map((r) => r.join('\t')).join('\n')
  const headers = columns.map((c) => c.header.toUpperCase())
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)))
  const line = (r: string[]): string =>
    r
      .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(headers), ...cells.map(line)].join('\n')
}
