/**
 * State files hactl writes for itself (the monitor's memory, the sandbox's
 * "cloud", leases) are read back through a schema, not a cast: a file cut
 * short, edited by hand or left by another version is reported naming the
 * file and the first field that is wrong, instead of failing later as a bug.
 */
import type * as z from 'zod'

import {ConfigError} from '../errors.js'

export function parseStateFile<T>(text: string, schema: z.ZodType<T>, file: string, what: string, actions: string[]): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${what} is not valid JSON (${(error as Error).message})`, {file}, {actions, cause: error})
  }
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
  throw new ConfigError(`${what} is not readable (${where}${issue.message})`, {file}, {actions, cause: result.error})
}
