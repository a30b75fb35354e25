/**
 * The one place hactl turns values into shell text. Everything user-supplied
 * (paths, server names) that reaches a remote shell goes through `quote`.
 * Single quotes stop every expansion in POSIX sh; a single quote inside is
 * written as '\'' (close, escaped quote, reopen).
 */
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
 * cluster file) with quoted values. The text around them is the operator's
 * shell and is kept as written.
 */
export function fillCommand(template: string, values: Record<string, string>): string {
  return template.replaceAll(/\{(\w+)\}/g, (whole, name: string) => (name in values ? quote(values[name]) : whole))
}
