/**
 * Finding and running a proxy's own binary (the validators: `nginx -t`,
 * `perlbal`) without a shell.
 */
import {execFile} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import path from 'node:path'

/** Daemons often live in sbin folders that are not on a user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']

export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here; try the next folder
    }
  }
  return undefined
}

export interface RunResult {
  code: number
  output: string
}

/** Run a command to completion; stdout and stderr together, as the user would read them. */
export async function run(command: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, {timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({code, output: `${stdout}${stderr}`.trim()})
    })
  })
}
