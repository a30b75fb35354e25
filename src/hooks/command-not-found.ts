/**
 * A mistyped command. On an interactive terminal oclif's not-found plugin asks
 * "Did you mean …?" and runs the command on yes; everywhere else (and when the
 * user says no) it is a usage error like any other: exit 2, the suggestion in
 * the message, and the JSON error shape under --json.
 */
import {Errors, type Hook, toConfiguredId} from '@oclif/core'

import {ExitCode, UsageError} from '../errors.js'
import {describeError} from '../ui/errors.js'
import {suggestCommand} from '../ui/suggest.js'
import {detectTerminal} from '../ui/terminal.js'

const hook: Hook.CommandNotFound = async function (options) {
  const {config} = options
  // oclif hands over the words joined with `:` (and so split again at every `:` of an address): take them as typed.
  const argv = process.argv.slice(2)
  const words = options.id.split(':')
  const end = argv.indexOf('--')
  const json = (end === -1 ? argv : argv.slice(0, end)).includes('--json')
  const suggestion = suggestCommand(
    argv,
    config.commands.filter((c) => !c.hidden).map((c) => c.id),
  )
  // `status extra`: oclif took the extra word for part of the name. The command itself says what is wrong with it.
  if (suggestion && suggestion.typed === suggestion.id) return config.runCommand(suggestion.id, suggestion.rest)
  const terminal = detectTerminal()
  if (suggestion && terminal.interactive && terminal.tty && !json) {
    const {default: notFound} = await import('@oclif/plugin-not-found')
    try {
      // Only the command words: the plugin suggests from them and passes the rest on as arguments.
      return await notFound.call({...this, warn() {}}, {...options, id: suggestion.typed, argv: suggestion.rest})
    } catch (error) {
      // The user said no (the plugin exits 127): report it as the usage error below.
      if ((error as {oclif?: {exit?: number}}).oclif?.exit !== 127) throw error
    }
  }
  const typed = toConfiguredId(suggestion?.typed ?? words[0], config)
  const topic = config.findTopic(words[0]) ? ` ${words[0]}` : ''
  const meant = suggestion && [toConfiguredId(suggestion.id, config), ...suggestion.rest.map(shellWord)].join(' ')
  const error = new UsageError(`${typed} is not a ${config.bin} command${suggestion ? `; did you mean ${toConfiguredId(suggestion.id, config)}?` : ''}`, {
    actions: [...(meant ? [`Run: ${config.bin} ${meant}`] : []), `\`${config.bin} help${topic}\` lists the commands.`],
    data: suggestion ? {suggestion: toConfiguredId(suggestion.id, config)} : undefined,
  })
  const described = describeError(error)
  if (json) process.stdout.write(`${JSON.stringify({error: described.json}, null, 2)}\n`)
  else process.stderr.write(described.text(terminal, false))
  // An exit error: oclif's handler ends the process with this code and prints nothing more.
  Errors.exit(ExitCode.usage)
}

/** A word as it must be typed again in a shell (shown, never run). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

export default hook
