/**
 * Config files on disk: read as binary strings (one char per byte, see
 * engine.ts), written safely, locked while a run edits them, and matched to
 * an engine when the user does not name one.
 */
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {access, copyFile, open, realpath, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import type {EngineName} from '../cluster/schema.js'
import {BusyError, ConfigError, UsageError} from '../errors.js'
import {acquireLock, describeHolder, LockHeldError, type Release} from '../process/lock.js'
import {DETECTORS} from './detect.js'
import type {Engine} from './engine.js'
import {registeredEngines} from './registry.js'

/** Suffix of the previous version kept next to the file after every write. */
export const BACKUP_SUFFIX = '.hactl-bak'

/** Far past the largest real config (a 50k-server HAProxy file is a few MB): larger is not a config. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024 * 1024

/** What a failed read, stat or lock of a config file means, worded for the user; exit 2 (nothing changed). */
export function fileProblem(error: unknown, display: string, doing = 'read'): ConfigError {
  const code = (error as NodeJS.ErrnoException).code
  const actions = ['Check the path given with --file, or proxy.config in the cluster file.']
  if (code === 'ENOENT') return new ConfigError('no such file', {file: display}, {actions, cause: error})
  if (code === 'EACCES' || code === 'EPERM') {
    return new ConfigError(`permission denied: this user may not ${doing} it (${code})`, {file: display}, {
      actions: ['Run hactl as a user who may, or fix the permissions of the file and its folder.'],
      cause: error,
    })
  }
  if (code === 'EROFS') return new ConfigError(`is on a read-only file system: hactl cannot ${doing} it (${code})`, {file: display}, {actions, cause: error})
  if (code === 'EISDIR') return new ConfigError('is a folder, not a config file', {file: display}, {actions, cause: error})
  return new ConfigError(`cannot ${doing} the file (${code ?? (error as Error).message})`, {file: display}, {actions, cause: error})
}

function notRegular(display: string): ConfigError {
  return new ConfigError('is not a regular file (a device, pipe or socket): hactl reads and writes proxy configs only as regular files', {file: display}, {
    actions: ['Check the path given with --file, or proxy.config in the cluster file.'],
  })
}

/** Read a config as a binary string; a ConfigError naming the file when it cannot be read or is not a regular file. */
export async function readConfigFile(file: string, display = file): Promise<string> {
  // O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused below like any non-regular file.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
    throw fileProblem(error, display)
  })
  try {
    const info = await handle.stat()
    if (info.isDirectory()) throw fileProblem(Object.assign(new Error('is a directory'), {code: 'EISDIR'}), display)
    if (!info.isFile()) throw notRegular(display)
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      throw new ConfigError(`is ${Math.round(info.size / 1024 / 1024)} MB: proxy configs over ${MAX_CONFIG_FILE_BYTES / 1024 / 1024} MB are refused`, {file: display}, {
        actions: ['Check the path given with --file, or proxy.config in the cluster file.'],
      })
    }
    return (await handle.readFile()).toString('latin1')
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw fileProblem(error, display)
  } finally {
    await handle.close()
  }
}

/**
 * Before the lock is taken: the file must be a regular file this user may
 * read and write, in a folder where the new version (and the lock) can be
 * created. Said as what it is (exit 2), not as a lock held by someone else.
 */
export async function checkEditable(file: string, display = file): Promise<void> {
  let target: string
  try {
    target = await realpath(file)
    const info = await stat(target)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'})
    if (!info.isFile()) throw notRegular(display)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw fileProblem(error, display)
  }
  await access(target, constants.R_OK | constants.W_OK).catch((error: unknown) => {
    throw fileProblem(error, display, 'read and write')
  })
  const folder = path.dirname(target)
  await access(folder, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(`cannot write in its folder ${folder} (${code}): the new version and the edit lock are created there`, {file: display}, {
      actions: ['Run hactl as a user who may write there, or fix the folder\'s permissions.'],
      cause: error,
    })
  })
}

/**
 * Whether the text is a config of this engine at all: a file that is not
 * (a password file, notes) must never be edited or appended to. Only the
 * content counts here, not the file name. An empty file is a config yet to
 * be written.
 */
export function checkRecognised(engine: Engine, text: string, display: string): void {
  if (text.trim() === '' || engine.detect('', text) > 0) return
  throw new ConfigError(`does not look like a ${engine.name} config: hactl edits only files it recognises`, {file: display}, {
    actions: ['Check the path given with --file, or proxy.config in the cluster file.', `Start from an empty file (with --engine ${engine.name}) to have hactl write a new config.`],
  })
}

export interface WriteResult {
  /** The previous version, kept as a backup. */
  backup: string
}

/**
 * Replace a file's content atomically: a temp file in the same folder with the
 * original's mode and owner, fsync, keep the old version as FILE.hactl-bak,
 * rename over the original, fsync the folder. Symlinks are followed, so the
 * file they point at is the one replaced.
 */
export async function writeConfigFile(file: string, text: string): Promise<WriteResult> {
  const target = await realpath(file)
  const info = await stat(target)
  const dir = path.dirname(target)
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const backup = `${target}${BACKUP_SUFFIX}`
  const handle = await open(temp, 'wx', info.mode & 0o7777)
  try {
    try {
      await handle.writeFile(Buffer.from(text, 'latin1'))
      await handle.chmod(info.mode & 0o7777)
      await handle.chown(info.uid, info.gid).catch((error: NodeJS.ErrnoException) => {
        // Only root may give a file away; a non-root user keeps the file as theirs.
        if (error.code !== 'EPERM') throw error
      })
      await handle.sync()
    } finally {
      await handle.close()
    }
    await copyFile(target, backup)
    await rename(temp, target)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
  return {backup}
}

/**
 * Run `fn` holding a lock on the file, so concurrent hactl runs on the same
 * file take turns over the whole read-edit-validate-write cycle. A run that
 * cannot get the lock within about two minutes gives up with BusyError (exit 6).
 */
export async function withFileLock<T>(file: string, display: string, fn: () => Promise<T>): Promise<T> {
  await checkEditable(file, display)
  let real: string
  try {
    real = await realpath(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') await readConfigFile(file, display)
    throw error
  }
  let release: Release
  try {
    release = await acquireLock(`${real}.lock`, {waitMs: 120_000, pollMs: [10, 150]})
  } catch (error) {
    // Only a lock that is there and held by a live run means busy; anything else is what it is.
    if (!(error instanceof LockHeldError)) throw fileProblem(error, display, 'lock')
    throw new BusyError(`${display} is being edited by another hactl run (${error.holder ? describeHolder(error.holder) : 'lock'})`, {
      actions: ['Wait for it to finish and run the command again. A run that was killed holds nothing.'],
      cause: error,
    })
  }
  try {
    return await fn()
  } finally {
    await release()
  }
}

/** What detection reads: a config says what it is near its top, and a 10k-server file's tail only costs time. */
const DETECT_BYTES = 64 * 1024

/** The engine whose `detect` is most sure about this file; a UsageError asking for --engine when none is. */
export async function detectEngine(file: string, text: string): Promise<EngineName> {
  const cut = text.length > DETECT_BYTES ? text.lastIndexOf('\n', DETECT_BYTES) + 1 || DETECT_BYTES : text.length
  const head = text.slice(0, cut)
  let best: {name: EngineName; score: number} | undefined
  for (const name of registeredEngines()) {
    const score = DETECTORS[name](file, head)
    if (score > (best?.score ?? 0)) best = {name, score}
  }
  if (!best || best.score < 0.3) {
    throw new UsageError(`cannot tell which proxy ${file} is for`, {
      actions: [`Pass --engine (one of ${registeredEngines().join(', ')}).`],
    })
  }
  return best.name
}
