import {access, mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {parseCluster} from '../cluster/loader.js'
import {UsageError} from '../errors.js'
import {renderClusterFile, STARTER_CONFIGS, type ClusterAnswers} from './starters.js'

export interface InitOptions {
  clusterFile: string
  answers: ClusterAnswers
  force: boolean
  dryRun: boolean
}

export interface InitResult {
  written: {path: string; bytes: number}[]
  dryRun: boolean
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  )
}

/** Write hactl.yaml and a starter proxy config beside it; refuse to overwrite unless forced. */
export async function initCluster(options: InitOptions): Promise<InitResult> {
  const clusterPath = path.resolve(options.clusterFile)
  const dir = path.dirname(clusterPath)
  const starter = STARTER_CONFIGS[options.answers.engine]
  const configPath = path.join(dir, starter.file)
  const clusterText = renderClusterFile(options.answers, starter.file)
  // What we write must load: a wizard that writes a file `validate` rejects is a bug.
  parseCluster(clusterText, options.clusterFile)

  const files = [
    {path: clusterPath, text: clusterText},
    {path: configPath, text: starter.text},
  ]
  if (!options.force) {
    const taken = []
    for (const f of files) if (await exists(f.path)) taken.push(path.relative(process.cwd(), f.path) || f.path)
    if (taken.length > 0) {
      throw new UsageError(`${taken.join(' and ')} already exist${taken.length === 1 ? 's' : ''}`, {
        actions: ['Pass --force to overwrite, or -c OTHER.yaml to write elsewhere.'],
      })
    }
  }
  if (!options.dryRun) {
    await mkdir(dir, {recursive: true})
    for (const f of files) await writeFile(f.path, f.text)
  }
  return {written: files.map((f) => ({path: f.path, bytes: Buffer.byteLength(f.text)})), dryRun: options.dryRun}
}
