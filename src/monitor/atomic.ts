import {mkdir, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'

/** Write a temp file beside the target and rename it over: readers see the old file or the new one, never half. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true})
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(temp, text)
  await rename(temp, file)
}
