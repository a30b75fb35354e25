/**
 * Config files on disk: read as binary strings (one char per byte, see
 * engine.ts), written safely, locked while a run edits them, and matched to
 * an engine when the user does not name one.
 */
import {randomBytes} from 'node:crypto'
import {copyFile, open, readFile, realpath, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import type {EngineName} from '../cluster/schema.js'
import {BusyError, ConfigError, UsageError} from '../errors.js'
import {acquireLock, describeHolder, LockHeldError, type Release} from '../process/lock.js'
import {loadEngine, registeredEngines} from './registry.js'

/** Suffix of the previous version kept next to the file after every write. */
export const BACKUP_SUFFIX = '.hactl-bak'

/** Read a config as a binary string; a ConfigError naming the file when it cannot be read. */
export async function readConfigFile(file: string, display = file): Promise<string> {
  try {
    return await readFile(file, 'latin1')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(code === 'ENOENT' ? 'no such file' : `cannot read the file (${code})`, {file: display}, {
      actions: ['Check the path given with --file, or proxy.config in the cluster file.'],
      cause: error,
    })
  }
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
    if (!(error instanceof LockHeldError)) {
      const code = (error as NodeJS.ErrnoException).code
      throw new UsageError(`cannot take the lock ${display}.lock (${code ?? (error as Error).message}); nothing was changed`, {
        actions: ['hactl writes a lock file next to the file it edits: run as a user who can write that folder.'],
        cause: error,
      })
    }
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

/** The engine whose `detect` is most sure about this file; a UsageError asking for --engine when none is. */
export async function detectEngine(file: string, text: string): Promise<EngineName> {
  let best: {name: EngineName; score: number} | undefined
  for (const name of registeredEngines()) {
    const score = (await loadEngine(name)).detect(file, text)
    if (score > (best?.score ?? 0)) best = {name, score}
  }
  if (!best || best.score < 0.3) {
    throw new UsageError(`cannot tell which proxy ${file} is for`, {
      actions: [`Pass --engine (one of ${registeredEngines().join(', ')}).`],
    })
  }
  return best.name
}
