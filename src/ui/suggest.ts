/**
 * "Did you mean …?" for a mistyped command. Topic and command are words
 * like the arguments after them (`backend ad web 10.0.1.7:8080`), so each
 * command is compared with as many leading words as it has, and what follows
 * them is what the user meant to pass it.
 */
export interface Suggestion {
  /** The command id that was probably meant, e.g. `backend:add`. */
  id: string
  /** The words the user typed for the command itself, e.g. `backend:ad`. */
  typed: string
  /** Everything after them, as typed: arguments and flags. */
  rest: string[]
}

/** `argv` as typed (without the program); command ids with `:` between their words. */
export function suggestCommand(argv: readonly string[], commandIds: readonly string[]): Suggestion | undefined {
  const flag = argv.findIndex((a) => a.startsWith('-'))
  const words = flag === -1 ? argv : argv.slice(0, flag)
  let best: (Suggestion & {distance: number}) | undefined
  for (const id of commandIds) {
    const size = id.split(':').length
    if (size > words.length) continue
    const typed = words.slice(0, size).join(':')
    const distance = editDistance(typed, id)
    // More than a third of the name changed is another word, not a typo.
    if (distance > Math.max(2, Math.floor(id.length / 3))) continue
    if (!best || distance < best.distance || (distance === best.distance && size > best.typed.split(':').length)) {
      best = {id, typed, rest: argv.slice(size), distance}
    }
  }
  if (!best) return undefined
  const {distance: _distance, ...suggestion} = best
  return suggestion
}

/** Levenshtein distance; command names are short, so the plain two-row table will do. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
