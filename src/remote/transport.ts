/**
 * How hactl works on a proxy host: run a program, move bytes, reach a unix
 * socket. The ssh transport does it over one SSH connection; the local one on
 * this machine. The rollout pipeline and the runtime API see only this.
 */
import type {Duplex} from 'node:stream'

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
  /** The connection went before the command gave an exit status. */
  lost?: boolean
}

export interface ExecOptions {
  stdin?: Buffer | string
  /** Kill the command and fail after this long (ms). */
  timeoutMs?: number
}

/** A long-running command whose stdin stays open until `end()`, its output handed over as it comes (the install script of ./apply.ts). */
export interface HeldCommand {
  /** Send bytes to the command's stdin. */
  write(data: Buffer | string): void
  /** Resolves when the command has exited. */
  exited: Promise<ExecResult>
  /** Close its stdin and wait for it to exit. */
  end(): Promise<ExecResult>
}

export interface HeldOutput {
  stdout: (chunk: Buffer) => void
  stderr: (chunk: Buffer) => void
}

export interface FileAttributes {
  mode: number
  uid: number
  gid: number
}

export interface Transport {
  /** The host as named in messages. */
  readonly host: string
  /** How long a command may run when the caller sets no timeout of its own. */
  readonly commandTimeoutMs?: number
  /** Run a program with these arguments; no shell unless argv asks for one (`sh -c`). */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>
  /** Start a program and keep its stdin open until `end()`; its output goes to `on` as it comes. */
  hold(argv: readonly string[], on: HeldOutput): HeldCommand
  /** Write bytes to a path (SFTP for ssh) with a file mode. */
  upload(path: string, data: Buffer, options?: {mode?: number}): Promise<void>
  /** The bytes of a file, or undefined when it does not exist. */
  download(path: string): Promise<Buffer | undefined>
  /** Owner and mode of a file, or undefined when it does not exist. */
  stat(path: string): Promise<FileAttributes | undefined>
  setAttributes(path: string, attributes: Partial<FileAttributes>): Promise<void>
  /** Remove a file; no error when it is already gone. */
  remove(path: string): Promise<void>
  /** A stream to a unix socket on the host (HAProxy's runtime API). */
  openUnixSocket(path: string): Promise<Duplex>
  close(): Promise<void>
}

export class TransportTimeoutError extends Error {}

/** A held command's stderr, kept for the message when it exits: only its end, since it may run for a whole rollout. */
export function stderrTail(kept: string, chunk: Buffer): string {
  return (kept + chunk.toString('utf8')).slice(-4096)
}
