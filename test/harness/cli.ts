import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/*
 * Under c8 every node process a test starts (hactl, a monitor, a probe) would
 * write 1-2 MB of V8 coverage, about 1 GB a suite run, at a fifth of its
 * time: and what they run is the dist/ bundle, which the report leaves out.
 * Node took this process's own coverage folder from the variable when it
 * started; only the processes it starts from here on go without.
 */
const coverage = process.env.NODE_V8_COVERAGE
delete process.env.NODE_V8_COVERAGE

/** For a child that runs src/ itself (through tsx): what it covers counts, so it gets c8's folder back. */
export const SRC_CHILD_ENV: Record<string, string> = coverage ? {NODE_V8_COVERAGE: coverage} : {}

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
        env: {...process.env, NO_COLOR: '1', ...options.env},
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
      {cwd: options.cwd, env: {...process.env, NO_COLOR: '1', ...options.env}, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({code, stdout: stdout.replaceAll('\r\n', '\n'), stderr})
      },
    )
  })
}
