import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {emptyState, updateState, writeState} from '../../../src/cloud/local/state.js'
import {withFailoverLock} from '../../../src/failover/lock.js'
import {lockState} from '../../../src/monitor/lock.js'
import {acquireLock, LockAbortedError, LockHeldError} from '../../../src/process/lock.js'
import {withFileLock} from '../../../src/proxy-config/files.js'
import {SRC_CHILD_ENV} from '../../harness/cli.js'
import {waitFor} from '../../harness/wait.js'

const HOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../harness/hold-lock.ts')

/** A child process holding one of hactl's locks; resolves once it says it holds it. */
async function holder(kind: string, target: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, kind, target], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...SRC_CHILD_ENV}})
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor(`the ${kind} lock holder to take its lock (${out})`, () => out.includes('held') || undefined, 30_000)
  return child
}

async function sigkill(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  await gone
}

describe('hactl locks belong to a live process', function () {
  this.timeout(60_000)
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-lock-'))
  })

  const kinds: [string, (target: string) => Promise<unknown>, string][] = [
    ['monitor', async (target) => (await lockState(target))(), 'state.json'],
    ['moves', (target) => withFailoverLock(target, async () => 'ran', 0), 'state.json'],
    ['file', (target) => withFileLock(target, target, async () => 'ran'), 'haproxy.cfg'],
    ['sandbox', (target) => updateState(target, () => 'ran'), 'sandbox'],
  ]
  for (const [kind, take, name] of kinds) {
    it(`the ${kind} lock of a SIGKILLed holder is free at once; a live holder's is not`, async () => {
      const target = path.join(dir, name)
      if (kind === 'sandbox') await writeState(target, emptyState('web', []))
      const child = await holder(kind, target)
      try {
        // A live holder keeps it: the ones that fail at once say busy.
        if (kind === 'monitor' || kind === 'moves') {
          const error = await take(target).then(() => undefined, (e: unknown) => e as {exitCode?: number})
          expect(error?.exitCode, `${kind} while held`).to.equal(6)
        }
      } finally {
        await sigkill(child)
      }
      const started = Date.now()
      await take(target)
      expect(Date.now() - started, 'taken without waiting for the lock to age').to.be.below(2000)
    })
  }

  it('a lock whose pid now names another process is free; the one found there is left running', async () => {
    const lockPath = path.join(dir, 'x.lock')
    const other = spawn('sleep', ['60'], {stdio: 'ignore'})
    try {
      // The pid of a live process, but a start time that is not its own: the holder that wrote this is gone.
      await writeFile(lockPath, JSON.stringify({pid: other.pid, startTime: '1', program: 'sleep', host: (await import('node:os')).hostname(), token: 't', since: 'x'}))
      const release = await acquireLock(lockPath)
      expect(JSON.parse(await readFile(lockPath, 'utf8')).pid).to.equal(process.pid)
      await release()
      expect(other.exitCode).to.equal(null)
    } finally {
      other.kill('SIGKILL')
    }
  })

  it('waiting for a live holder stops at once on the abort signal and takes nothing', async () => {
    const lockPath = path.join(dir, 'y.lock')
    const release = await acquireLock(lockPath)
    const controller = new AbortController()
    const waiting = acquireLock(lockPath, {waitMs: Number.POSITIVE_INFINITY, signal: controller.signal}).then(() => 'took it', (e: unknown) => e)
    setTimeout(() => controller.abort(), 100)
    expect(await waiting).to.be.instanceOf(LockAbortedError)
    const again = await acquireLock(lockPath).then(() => 'took it', (e: unknown) => e)
    expect(again, 'the first holder still has it').to.be.instanceOf(LockHeldError)
    await release()
  })

  it('twenty contenders in one process take turns, never two at once', async () => {
    const lockPath = path.join(dir, 'z.lock')
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({length: 20}, async () => {
        const release = await acquireLock(lockPath, {waitMs: 30_000, pollMs: [1, 10]})
        most = Math.max(most, ++inside)
        await new Promise((resolve) => setTimeout(resolve, 2))
        inside--
        await release()
      }),
    )
    expect(most).to.equal(1)
  })
})
