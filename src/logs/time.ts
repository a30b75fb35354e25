/**
 * The dates access logs write, to and from ms since the epoch. Parsing is on
 * the hot path (a million lines a second), so the date and hour of a line are
 * converted once and cached: lines of one hour share their base.
 */
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH_INDEX = new Map(MONTHS.map((m, i) => [m, i]))

let hourKey = ''
let hourBase = Number.NaN

const digits2 = (s: string, at: number): number => (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48)

/**
 * `28/Nov/2026:10:31:17` starting at `at` (the clf date without its zone), in
 * the zone `offsetMinutes` east of UTC, or this machine's local zone when
 * undefined (haproxy writes its host's local time with no zone).
 * NaN when the text is not such a date.
 */
export function clfDate(s: string, at: number, offsetMinutes?: number): number {
  let base: number
  // startsWith compares in place: no 14-character string per line on the hot path.
  if (offsetMinutes === undefined && hourKey !== '' && s.startsWith(hourKey, at)) base = hourBase
  else {
    const key = s.slice(at, at + 14)
    const month = MONTH_INDEX.get(key.slice(3, 6))
    const day = digits2(key, 0)
    const year = Number(key.slice(7, 11))
    const hour = digits2(key, 12)
    if (month === undefined || key.charCodeAt(2) !== 47 || key.charCodeAt(11) !== 58 || !(day >= 1 && day <= 31) || !(hour >= 0 && hour < 24) || !Number.isInteger(year)) return Number.NaN
    if (offsetMinutes === undefined) {
      base = new Date(year, month, day, hour).getTime()
      hourKey = key
      hourBase = base
    } else base = Date.UTC(year, month, day, hour) - offsetMinutes * 60_000
  }
  const minutes = digits2(s, at + 15)
  const seconds = digits2(s, at + 18)
  if (!(minutes >= 0 && minutes < 60 && seconds >= 0 && seconds < 61)) return Number.NaN
  return base + minutes * 60_000 + seconds * 1000
}

/** `+0100` / `-0530` to minutes east of UTC; undefined when malformed. */
export function zoneOffset(zone: string): number | undefined {
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(zone)
  if (!m) return undefined
  const minutes = Number(m[2]) * 60 + Number(m[3])
  return m[1] === '-' ? -minutes : minutes
}

let formattedSecond = Number.NaN
let formattedText = ''

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/** `28/Nov/2026:10:31:17 +0000` in this machine's zone (TZ), as Apache writes %t; cached per second. */
export function formatClf(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second === formattedSecond) return formattedText
  const d = new Date(second * 1000)
  const offset = -d.getTimezoneOffset()
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  formattedText = `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  formattedSecond = second
  return formattedText
}
