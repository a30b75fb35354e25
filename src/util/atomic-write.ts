/**
 * The one way hactl replaces a file: a temp file in the same folder, created
 * with the file's final mode from the first byte (an existing file keeps its
 * mode and owner), renamed over the original, so a reader sees the old
 * version or the new one, never half. Configs also keep the old version as
 * a backup and are synced to disk; state rewritten every round is not.
 * Symlinks are followed: the file they point at is the one replaced.
 */
import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {copyFile, mkdir, open, realpath, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {randomHex} from './random.js'

export interface AtomicWriteOptions {
  /** Mode of a file that does not exist yet (default 0644). */
  mode?: number
  /** Keep the previous version as FILE + this suffix (a copy, taken right before the rename). */
  backupSuffix?: string
  /** fsync the file and its folder, so the new version survives a crash. */
  durable?: boolean
}

export interface AtomicWriteResult {
  /** The file replaced (the symlink's target). */
  path: string
  /** The previous version, when one was kept. */
  backup?: string
}

/** A temp name beside the file, unguessable so no other user can plant it first. */
export function tempBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomHex(4)}.tmp`)
}

async function existing(file: string): Promise<{target: string; mode: number; uid: number; gid: number} | undefined> {
  try {
    const target = await realpath(file)
    const info = await stat(target)
    return {target, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const before = await existing(file)
  const target = before?.target ?? path.resolve(file)
  if (!before) await mkdir(path.dirname(target), {recursive: true})
  const mode = before?.mode ?? options.mode ?? 0o644
  const temp = tempBeside(target)
  const backup = before && options.backupSuffix ? `${target}${options.backupSuffix}` : undefined
  const handle = await open(temp, 'wx', mode)
  try {
    try {
      await handle.writeFile(data)
      // The umask may have taken bits off the mode asked for; the file gets exactly its final mode.
      await handle.chmod(mode)
      if (before) {
        await handle.chown(before.uid, before.gid).catch((error: NodeJS.ErrnoException) => {
          // Only root may give a file away; a non-root user keeps the file as theirs.
          if (error.code !== 'EPERM') throw error
        })
      }
      if (options.durable) await handle.sync()
    } finally {
      await handle.close()
    }
    if (backup) await copyFile(target, backup)
    await rename(temp, target)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  if (options.durable) {
    const folder = await open(path.dirname(target), 'r')
    try {
      await folder.sync()
    } finally {
      await folder.close()
    }
  }
  return {path: target, ...(backup ? {backup} : {})}
}

/**
 * The same without the thread pool, for a small file read and written in the
 * middle of a failover (the sandbox's state), where four pool hops per write
 * cost tens of ms on a busy machine. The file is replaced, not followed.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: Pick<AtomicWriteOptions, 'mode'> = {}): void {
  mkdirSync(path.dirname(file), {recursive: true})
  const temp = tempBeside(file)
  try {
    writeFileSync(temp, data, {mode: options.mode ?? 0o644, flag: 'wx'})
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
}
