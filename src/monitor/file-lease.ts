/**
 * Leases in a folder, one JSON file each, for clusters without DynamoDB (the
 * local sandbox, tests): every change is a read-modify-write under a file lock,
 * which gives the same compare-and-set a conditional write gives in DynamoDB.
 */
import {mkdir, readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import * as z from 'zod'

import type {Lease, LeaseStore} from '../cloud/lease-store.js'
import {withLock} from '../process/lock.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {parseStateFile} from '../util/state-file.js'

const LEASE = z.looseObject({name: z.string(), holder: z.string(), token: z.number(), expiresAt: z.number()}) satisfies z.ZodType<Lease>

export class FileLeaseStore implements LeaseStore {
  constructor(readonly dir: string) {}

  get where(): string {
    return `folder ${this.dir}`
  }

  async init(): Promise<{created: boolean}> {
    const made = await mkdir(this.dir, {recursive: true})
    return {created: made !== undefined}
  }

  async acquire(name: string, holder: string, ttlMs: number, now = Date.now()): Promise<Lease | undefined> {
    return this.locked(name, async () => {
      const current = await this.read(name)
      if (current && current.holder !== holder && current.expiresAt > now) return undefined
      const token = current && current.holder === holder && current.expiresAt > now ? current.token : (current?.token ?? 0) + 1
      const lease: Lease = {name, holder, token, expiresAt: now + ttlMs}
      await writeFileAtomic(this.file(name), `${JSON.stringify(lease)}\n`)
      return lease
    })
  }

  async release(name: string, holder: string): Promise<void> {
    await this.locked(name, async () => {
      const current = await this.read(name)
      // Keep the token so the next holder's is still larger: expire, do not delete.
      if (current?.holder === holder) await writeFileAtomic(this.file(name), `${JSON.stringify({...current, expiresAt: 0})}\n`)
    })
  }

  async read(name: string): Promise<Lease | undefined> {
    const file = this.file(name)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    return parseStateFile(text, LEASE, file, 'the lease file', ['Remove it: the next monitor round takes the lease afresh.'])
  }

  /** Remove every lease (tests). */
  async clear(): Promise<void> {
    await rm(this.dir, {recursive: true, force: true})
  }

  private file(name: string): string {
    return path.join(this.dir, `${encodeURIComponent(name)}.json`)
  }

  private async locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, {recursive: true})
    return withLock(`${this.file(name)}.lock`, {waitMs: 2000, pollMs: [5, 50]}, work)
  }
}
