/**
 * Operator command templates from the cluster file (`reload`, `validate`,
 * `check`): where their `{name}` placeholders stand in sh's quoting, and
 * whether a value can be put there safely. The filling itself is
 * remote/quote.ts `fillCommand`.
 */
/** Where a `{name}` placeholder stands in an operator's shell text. */
type Context = 'backtick' | 'double' | 'paren' | 'single' | 'unquoted'

export interface Placeholder {
  name: string
  /** Offset of the `{` in the template. */
  offset: number
  context: Context
}

/**
 * The shell variable a placeholder becomes: `{file}` → `HACTL_FILE`.
 * The value is assigned to it before the operator's text runs, so it reaches
 * the operator's command as the value of a variable, never as shell text.
 */
export function placeholderVariable(name: string): string {
  return `HACTL_${name.toUpperCase()}`
}

/**
 * Walk the operator's text the way sh reads quotes and find every
 * `{name}`, with the quoting it stands in. Enough of sh's grammar to know
 * the quoting: backslashes, '…', "…", $(…), `…` and # comments.
 * Returns an error text when a quote is never closed.
 */
export function scanPlaceholders(template: string): {error?: string; placeholders: Placeholder[]} {
  const placeholders: Placeholder[] = []
  const stack: Context[] = ['unquoted']
  const top = (): Context => stack.at(-1) as Context
  let depth = 0 // plain ( ) inside the innermost $( )
  const depths: number[] = []
  let i = 0
  while (i < template.length) {
    const c = template[i]
    const context = top()
    if (context === 'single') {
      if (c === "'") stack.pop()
      else placeholderAt(i)
      i++
      continue
    }
    if (c === '\\') {
      i += 2
      continue
    }
    if (context === 'double') {
      if (c === '"') stack.pop()
      else if (c === '`') stack.push('backtick')
      else if (template.startsWith('$(', i)) {
        openParen()
        i += 2
        continue
      } else placeholderAt(i)
      i++
      continue
    }
    // unquoted, inside $( ) or inside ` `: the shell's own words.
    if (c === "'") stack.push('single')
    else if (c === '"') stack.push('double')
    else if (c === '`') {
      if (context === 'backtick') stack.pop()
      else stack.push('backtick')
    } else if (template.startsWith('$(', i)) {
      openParen()
      i += 2
      continue
    } else if (c === '(' && context === 'paren') depth++
    else if (c === ')' && context === 'paren') {
      if (depth === 0) {
        stack.pop()
        depth = depths.pop() ?? 0
      } else depth--
    } else if (c === '#' && (i === 0 || /[\s;&|()]/.test(template[i - 1]))) {
      const end = template.indexOf('\n', i)
      i = end === -1 ? template.length : end
      continue
    } else placeholderAt(i)
    i++
  }
  const open = top()
  if (open !== 'unquoted') {
    const what = {backtick: 'a backquote (`)', double: 'a double quote (")', paren: 'a $(', single: "a single quote (')"}[open]
    return {error: `${what} is never closed`, placeholders}
  }
  return {placeholders}

  function openParen(): void {
    stack.push('paren')
    depths.push(depth)
    depth = 0
  }

  function placeholderAt(at: number): void {
    const match = /^\{(\w+)\}/.exec(template.slice(at, at + 40))
    if (match) placeholders.push({name: match[1], offset: at, context: top()})
  }
}

/**
 * Why an operator's template cannot take `{name}` values safely, or
 * undefined when it can. Inside '…' no shell expands anything, so the
 * value could only be pasted in as text: refused, as is text whose quotes
 * never close.
 */
export function templateProblem(template: string, names: readonly string[] = ['file']): string | undefined {
  const {error, placeholders} = scanPlaceholders(template)
  if (error) return `${error}, so hactl cannot tell where {${names[0]}} stands`
  const quoted = placeholders.find((p) => names.includes(p.name) && p.context === 'single')
  if (quoted) return `{${quoted.name}} stands inside single quotes, where the shell expands nothing: write {${quoted.name}} without quotes around it (hactl passes it as one word)`
  return undefined
}

