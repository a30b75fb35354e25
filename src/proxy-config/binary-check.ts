/**
 * Run a proxy's own config checker (`haproxy -c -f`, `nginx -t -c`) on a
 * temporary copy of the text, from the folder of the real file so relative
 * paths in the config (certificates, maps, error pages) resolve as they will
 * in production. The temp path is replaced by the real name in the output.
 */
import {accessSync, constants, statSync} from 'node:fs'
import {mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {ValidationResult} from './engine.js'

export interface BinaryCheck {
  /** The binary, looked up on PATH. */
  command: string
  args: (configPath: string) => string[]
  /** How the result is labelled, e.g. `haproxy -c`. */
  validator: string
}

/** Undefined when the binary is not installed here. */
export async function runBinaryCheck(check: BinaryCheck, text: string, file: string, companions: Record<string, string> = {}): Promise<ValidationResult | undefined> {
  if (!onPath(check.command)) return undefined
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-check-'))
  const copy = path.join(dir, path.basename(file) || 'config')
  try {
    await linkCompanions(dir, companions)
    await writeFile(copy, Buffer.from(text, 'latin1'))
    // Loaded here, not at the top: node:child_process (with dgram and net) costs every --no-validate edit's start-up a few ms.
    const {execFile} = await import('node:child_process')
    const {code, output} = await new Promise<{code: number | string; output: string}>((resolve) => {
      execFile(check.command, check.args(copy), {cwd: path.dirname(path.resolve(file)), maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
        const code = error ? ((error as NodeJS.ErrnoException).code ?? 1) : 0
        resolve({code, output: `${stdout}${stderr}`})
      })
    })
    if (code === 'ENOENT') return undefined
    const named = output.replaceAll(copy, file).trim()
    const line = new RegExp(`${escapeRegExp(file)}:(\\d+)`).exec(named)?.[1]
    return {ok: code === 0, validator: check.validator, output: named, line: line === undefined ? undefined : Number(line)}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * Whether the command is on PATH, looked up the way the spawn would: a machine
 * without the binary (a CI runner validating configs) is told so without a
 * temp folder, a copy and a process started only to fail. Without PATH, or a
 * command with a slash, the spawn decides.
 */
function onPath(command: string): boolean {
  const dirs = process.env.PATH
  if (dirs === undefined || command.includes('/')) return true
  return dirs.split(path.delimiter).some((dir) => {
    try {
      const at = path.join(dir || '.', command)
      accessSync(at, constants.X_OK)
      return statSync(at).isFile()
    } catch {
      return false
    }
  })
}

/** The folders a config names relative to itself, linked beside the temp copy so the checker finds them. */
export async function linkCompanions(dir: string, companions: Record<string, string>): Promise<void> {
  for (const [name, target] of Object.entries(companions)) await symlink(target, path.join(dir, name))
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
