/**
 * Config files on disk: read as binary strings (one char per byte, see
 * engine.ts), written safely, locked while a run edits them, and matched to
 * an engine when the user does not name one.
 */
import {constants} from 'node:fs'
import {access, open, realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import type {EngineName} from '../cluster/schema.js'
import {BusyError, ConfigError, UsageError} from '../errors.js'
import {describeHolder, withLock} from '../process/lock.js'
import {DETECTORS} from './detect.js'
import type {Engine} from './engine.js'
import {registeredEngines} from './registry.js'
import {writeFileAtomic} from '../util/atomic-write.js'

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
  if (text.trim() === '' || DETECTORS[engine.name]('', text) > 0) return
  throw new ConfigError(`does not look like a ${engine.name} config: hactl edits only files it recognises`, {file: display}, {
    actions: ['Check the path given with --file, or proxy.config in the cluster file.', `Start from an empty file (with --engine ${engine.name}) to have hactl write a new config.`],
  })
}

export interface WriteResult {
  /** Where the previous version is kept as a backup. */
  backup: string
  /** false when the file was new: there was nothing to back up. */
  backedUp: boolean
}

/**
 * Replace a config atomically (util/atomic-write.ts): same mode and owner,
 * synced to disk, the old version kept as FILE.hactl-bak. A file that does
 * not exist yet is created (mode 0644, no backup).
 */
export async function writeConfigFile(file: string, text: string): Promise<WriteResult> {
  const written = await writeFileAtomic(file, Buffer.from(text, 'latin1'), {backupSuffix: BACKUP_SUFFIX, durable: true})
  return {backup: written.backup ?? `${written.path}${BACKUP_SUFFIX}`, backedUp: written.backup !== undefined}
}

/**
 * Run `fn` holding a lock on the file, so concurrent hactl runs on the same
 * file take turns over the whole read-edit-validate-write cycle. A run that
 * cannot get the lock within about two minutes gives up with BusyError (exit 6).
 */
export async function withFileLock<T>(
  file: string,
  display: string,
  fn: () => Promise<T>,
  options: {mayBeMissing?: boolean; onWait?: () => Promise<void>} = {},
): Promise<T> {
  let real: string
  try {
    await checkEditable(file, display)
    real = await realpath(file)
  } catch (error) {
    // A file yet to be written (config pull into a new source) is locked by the name it will have.
    if (!options.mayBeMissing || !(await missing(file))) throw error
    real = path.resolve(file)
  }
  return withLock(
    `${real}.lock`,
    {
      waitMs: 120_000,
      pollMs: [10, 150],
      ...(options.onWait ? {onWait: options.onWait} : {}),
      // Only a lock that is there and held by a live run means busy; anything else is what it is.
      busy: (error) =>
        new BusyError(`${display} is being edited by another hactl run (${error.holder ? describeHolder(error.holder) : 'lock'})`, {
          actions: ['Wait for it to finish and run the command again. A run that was killed holds nothing.'],
          cause: error,
        }),
      failed: (error) => fileProblem(error, display, 'lock'),
    },
    fn,
  )
}

async function missing(file: string): Promise<boolean> {
  return stat(file).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
  )
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
