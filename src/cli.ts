/**
 * What bin/run.js starts. It lives in the bundle with the commands, so that
 * oclif and the commands share one copy of @oclif/core.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute, type Interfaces} from '@oclif/core'

/** A command word as oclif's file layout has it; anything else (flags, values, paths) ends the command id. */
const WORD = /^[a-z0-9][a-z0-9-]*$/

/**
 * The command file that argv names among this package's own commands
 * (dist/commands/<topic>/<verb>.js, the layout oclif.manifest.json points
 * at), or undefined: `help`, `autocomplete`, a misspelt or no command.
 */
export function ownCommandFile(argv: string[], commandsDir: string): string | undefined {
  const words: string[] = []
  for (const arg of argv) {
    if (!WORD.test(arg) || words.length === 3) break
    words.push(arg)
  }
  for (let n = words.length; n > 0; n--) {
    for (const file of [`${path.join(commandsDir, ...words.slice(0, n))}.js`, path.join(commandsDir, ...words.slice(0, n), 'index.js')]) {
      if (existsSync(file)) return file
    }
  }
  return undefined
}

/**
 * oclif reads every plugin listed in package.json (help, autocomplete) at
 * start-up: resolving each package, reading its package.json and manifest and
 * matching dependency names against patterns — a sizeable part of a
 * command's start-up. A run of one of this package's own commands, or of its
 * --help, never looks at another plugin's commands or hooks (none of them
 * hooks a command's run), so it starts oclif without them. Everything else —
 * `help`, `autocomplete`, root and topic help, an unknown command — loads them all.
 */
export function loadOptions(argv: string[], root: string): Interfaces.LoadOptions {
  if (!ownCommandFile(argv, path.join(root, 'dist', 'commands'))) return root
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  return {root, pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}}}
}

export async function main(binUrl: string): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(binUrl)), '..')
  await execute({args: process.argv.slice(2), loadOptions: loadOptions(process.argv.slice(2), root)})
}
