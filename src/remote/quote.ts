/**
 * The one place hactl turns values into shell text. Everything user-supplied
 * (paths, server names) that reaches a remote shell goes through `quote`.
 * Single quotes stop every expansion in POSIX sh; a single quote inside is
 * written as '\'' (close, escaped quote, reopen).
 */
import {placeholderVariable, scanPlaceholders, templateProblem} from '../cluster/command-template.js'
import {UsageError} from '../errors.js'

const SAFE = /^[\w@%+=:,./-]+$/

export function quote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell')
  if (value !== '' && SAFE.test(value)) return value
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** An argv array as one shell command line, each word quoted. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => quote(a)).join(' ')
}

/**
 * Fill `{name}` placeholders in an operator's own command text (from the
 * cluster file). The values never become shell text: each is assigned,
 * quoted, to a variable (`{file}` → HACTL_FILE) before the operator's text,
 * and each placeholder becomes an expansion of that variable that is one
 * word in its quoting: "$HACTL_FILE" outside quotes, ${HACTL_FILE} inside
 * "…". So `haproxy -c -f "{file}"` and `haproxy -c -f {file}` both pass
 * the path as one argument, whatever it holds. A template hactl cannot
 * fill safely (see templateProblem) throws.
 */
export function fillCommand(template: string, values: Record<string, string>): string {
  const names = Object.keys(values)
  const problem = templateProblem(template, names.length > 0 ? names : ['file'])
  if (problem) throw new TemplateError(`cannot fill the command template \`${template}\`: ${problem}`)
  const used = scanPlaceholders(template).placeholders.filter((p) => p.name in values)
  if (used.length === 0) return template
  let out = ''
  let last = 0
  for (const p of used) {
    const variable = placeholderVariable(p.name)
    out += template.slice(last, p.offset) + (p.context === 'double' ? `\${${variable}}` : `"$${variable}"`)
    last = p.offset + p.name.length + 2
  }
  out += template.slice(last)
  const assignments = [...new Set(used.map((p) => p.name))].map((name) => `${placeholderVariable(name)}=${quote(values[name])}`)
  return `${assignments.join(' ')}; ${out}`
}

/** A template that cannot take its values safely (exit 2); the loader reports cluster-file templates with their line first. */
export class TemplateError extends UsageError {}
