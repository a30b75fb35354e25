import {ExitCode, HactlError} from '../errors.js'
import {paint} from './color.js'
import type {Terminal} from './terminal.js'

const HELP_HINT = 'See --help for the flags and arguments.'

export interface DescribedError {
  exitCode: number
  json: Record<string, unknown>
  text(terminal: Pick<Terminal, 'color'>, verbose: boolean): string
}

/**
 * One place decides how an error leaves hactl: its exit code, its JSON form
 * and its human form. HactlErrors carry their own; oclif's parse errors are
 * usage errors (2); anything else is a bug (1).
 */
export function describeError(error: Error & {oclif?: {exit?: number}}): DescribedError {
  if (error instanceof HactlError) {
    const {col, file, line} = error.location ?? {}
    return {
      exitCode: error.exitCode,
      json: {
        code: error.code,
        exitCode: error.exitCode,
        message: error.message,
        ...(file === undefined ? {} : {file}),
        ...(line === undefined ? {} : {line}),
        ...(col === undefined ? {} : {col}),
        ...(error.actions.length > 0 ? {actions: error.actions} : {}),
        ...error.data,
      },
      text(terminal, verbose) {
        const c = paint(terminal)
        const lines = [`${c.red('Error:')} ${error.located}`, ...error.actions.map((a) => `  ${c.dim('→')} ${a}`)]
        if (verbose && error.cause instanceof Error && error.cause.stack) lines.push(c.dim(error.cause.stack))
        return `${lines.join('\n')}\n`
      },
    }
  }
  const exitCode = error.oclif?.exit === ExitCode.usage ? ExitCode.usage : (error.oclif?.exit ?? ExitCode.unexpected)
  const isUsage = exitCode === ExitCode.usage
  // oclif ends its parse errors with its own help hint; ours follows as an action, once.
  const message = isUsage ? error.message.replace(/\n*See more help with --help\s*$/, '') : error.message
  return {
    exitCode,
    json: {code: isUsage ? 'usage' : 'unexpected', exitCode, message, ...(isUsage ? {actions: [HELP_HINT]} : {})},
    text(terminal, verbose) {
      const c = paint(terminal)
      if (isUsage) return `${c.red('Error:')} ${message}\n  ${c.dim('→')} ${HELP_HINT}\n`
      const lines = [`${c.red('Error:')} ${message}`]
      if (verbose && error.stack) lines.push(c.dim(error.stack))
      else lines.push(`  ${c.dim('→')} This is a bug in hactl. Run again with --verbose for the stack trace and report it.`)
      return `${lines.join('\n')}\n`
    },
  }
}
