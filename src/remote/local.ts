/** The Transport on this machine: the sandbox and hosts that are this machine use it. */
import {spawn} from 'node:child_process'
import {chmod, chown, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {connect} from 'node:net'
import type {Duplex} from 'node:stream'

import {TransportTimeoutError, type ExecOptions, type FileAttributes, type ExecResult, type HeldCommand, type HeldOutput, stderrTail, type Transport} from './transport.js'

export class LocalTransport implements Transport {
  constructor(readonly host = 'localhost') {}

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      let timedOut = false
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, options.timeoutMs)
        : undefined
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
      child.once('error', (error) => {
        clearTimeout(timer)
        resolve({code: 127, stdout, stderr: `${stderr}${error.message}\n`})
      })
      child.once('close', (code) => {
        clearTimeout(timer)
        if (timedOut) reject(new TransportTimeoutError(`${argv[0]} timed out after ${options.timeoutMs} ms`))
        else resolve({code: code ?? 128, stdout, stderr})
      })
      child.stdin.on('error', () => undefined)
      child.stdin.end(options.stdin ?? '')
    })
  }

  hold(argv: readonly string[], on: HeldOutput): HeldCommand {
    const child = spawn(argv[0], argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe']})
    let stderr = ''
    child.stdin.on('error', () => undefined)
    child.stdout.on('data', on.stdout)
    child.stderr.on('data', (d: Buffer) => {
      stderr = stderrTail(stderr, d)
      on.stderr(d)
    })
    const exited = new Promise<ExecResult>((resolve) => {
      child.once('error', (error) => resolve({code: 127, stdout: '', stderr: `${stderr}${error.message}\n`}))
      child.once('close', (code) => resolve({code: code ?? 128, stdout: '', stderr}))
    })
    return {
      write: (data) => child.stdin.write(data),
      exited,
      end() {
        child.stdin.end()
        return exited
      },
    }
  }

  async upload(path: string, data: Buffer, options: {mode?: number} = {}): Promise<void> {
    await writeFile(path, data, {mode: options.mode ?? 0o644})
  }

  async download(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async stat(path: string): Promise<FileAttributes | undefined> {
    const st = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    return st && {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
  }

  async setAttributes(path: string, attributes: Partial<FileAttributes>): Promise<void> {
    if (attributes.uid !== undefined && attributes.gid !== undefined) await chown(path, attributes.uid, attributes.gid)
    if (attributes.mode !== undefined) await chmod(path, attributes.mode)
  }

  async remove(path: string): Promise<void> {
    await rm(path, {force: true})
  }

  openUnixSocket(path: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect(path)
      socket.once('connect', () => resolve(socket))
      socket.once('error', reject)
    })
  }

  async close(): Promise<void> {}
}
