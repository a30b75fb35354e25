/**
 * Files that live beside a proxy config and change with it: the
 * certificates in `hactl-tls/`. An edit plans them with the config, the
 * validator sees the new set beside the edited text, and they are written
 * before the config (each 0600 from its first byte, by rename) so a config
 * never names a certificate that is not there yet.
 */
import {cp, mkdir, mkdtemp, open, readFile, rename, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {TLS_DIR} from '../proxy-config/tls.js'
import {tempBeside} from '../util/atomic-write.js'
import {displayPath} from './config-source.js'

export interface CompanionFiles {
  /** The folder beside the config. */
  folder: string
  write: {name: string; data: string; note?: string}[]
  remove: string[]
}

export interface CompanionChange {
  path: string
  display: string
  action: 'remove' | 'unchanged' | 'write'
  note?: string
  /** The bytes to write. */
  data?: string
}

function folderOf(configPath: string, folder = TLS_DIR): string {
  return path.join(path.dirname(configPath), folder)
}

export async function planCompanionFiles(configPath: string, files: CompanionFiles | undefined): Promise<CompanionChange[]> {
  if (!files) return []
  const dir = folderOf(configPath, files.folder)
  const out: CompanionChange[] = []
  for (const w of files.write) {
    const file = path.join(dir, w.name)
    const current = await readFile(file, 'utf8').catch(() => undefined)
    out.push({path: file, display: displayPath(file), action: current === w.data ? 'unchanged' : 'write', note: w.note, data: w.data})
  }
  for (const name of files.remove) {
    const file = path.join(dir, name)
    const there = await stat(file).then(() => true, () => false)
    out.push({path: file, display: displayPath(file), action: there ? 'remove' : 'unchanged'})
  }
  return out
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false)
}

/**
 * The folders the validator links beside its copy: the folder as it is for
 * the original text, and as it will be (a staged copy) for the edited one.
 */
export async function companionsFor(
  configPath: string,
  files: CompanionFiles | undefined,
  plan: readonly CompanionChange[],
): Promise<{folders: {before: Record<string, string>; after: Record<string, string>}; release: () => Promise<void>}> {
  const name = files?.folder ?? TLS_DIR
  const dir = folderOf(configPath, name)
  const before = (await exists(dir)) ? {[name]: dir} : {}
  if (!plan.some((c) => c.action !== 'unchanged')) return {folders: {before, after: before}, release: async () => undefined}
  const staging = await mkdtemp(path.join(tmpdir(), 'hactl-tls-'))
  const staged = path.join(staging, name)
  if (await exists(dir)) await cp(dir, staged, {recursive: true})
  else await mkdir(staged, {mode: 0o700})
  for (const c of plan) {
    const target = path.join(staged, path.basename(c.path))
    if (c.action === 'remove') await rm(target, {force: true})
    if (c.action === 'write') await writePrivate(target, c.data ?? '')
  }
  return {folders: {before, after: {[name]: staged}}, release: () => rm(staging, {recursive: true, force: true})}
}

/** Write the planned files: the folder 0700, each file 0600 from its first byte, replaced by rename. */
export async function applyCompanionFiles(plan: readonly CompanionChange[]): Promise<void> {
  for (const c of plan) {
    if (c.action === 'write') {
      await mkdir(path.dirname(c.path), {recursive: true, mode: 0o700})
      await writePrivate(c.path, c.data ?? '')
    } else if (c.action === 'remove') {
      await rm(c.path, {force: true})
    }
  }
}

/** A file only its owner may read, from the first byte on: created 0600 under a temp name, synced, renamed into place. */
export async function writePrivate(file: string, data: string): Promise<void> {
  const temp = tempBeside(file)
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, file)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}
