import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin', 'run.js')
export const CORPUS = path.join(ROOT, 'test', 'corpus')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** The signal that ended the process, if one did. */
  signal?: string
}

/**
 * The environment of a hactl the tests start. Without NODE_V8_COVERAGE: under
 * c8 every run would otherwise write 1-2 MB of coverage for the dist/ bundle,
 * which the report leaves out (dist/ maps to no src/ file there), at a fifth
 * of the run's time.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...extra}
  delete env.NODE_V8_COVERAGE
  return env
}

/**
 * Run the built hactl as a user would: a real process, real exit code.
 * stdin is closed (not a TTY), so prompts are never shown.
 */
export async function hactl(args: string[], options: {cwd?: string; env?: Record<string, string>; timeoutMs?: number} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        env: cliEnv(options.env),
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({code, stdout, stderr, signal: error?.signal ?? undefined})
      },
    )
  })
}

/** A word the shell passes through unchanged. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/**
 * Run the built hactl with stdout on a pseudo-terminal (util-linux `script`),
 * as a person at a terminal sees it. Line ends come back as `\n`.
 */
export async function hactlOnTerminal(args: string[], options: {cwd?: string; env?: Record<string, string>; timeoutMs?: number} = {}): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map(shellWord).join(' ')
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qefc', command, '/dev/null'],
      {cwd: options.cwd, env: cliEnv(options.env), timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({code, stdout: stdout.replaceAll('\r\n', '\n'), stderr})
      },
    )
  })
}
