import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {RolloutTarget} from '../../../src/remote/hosts.js'
import {LocalTransport} from '../../../src/remote/local.js'
import {rollout} from '../../../src/remote/rollout.js'
import {MemoryReporter} from '../../../src/events.js'

/** Hosts that are folders on this machine, reached through the local transport; `validate` decides who rejects. */
async function localHosts(count: number, rejecting: number[] = []): Promise<RolloutTarget[]> {
  const root = await mkdtemp(path.join(tmpdir(), 'hactl-local-'))
  return Promise.all(
    Array.from({length: count}, async (_, i) => {
      const remotePath = path.join(root, `host${i + 1}.cfg`)
      await writeFile(remotePath, 'old\n')
      return {name: `host${i + 1}`, transport: 'local' as const, remotePath, reload: 'true', validate: rejecting.includes(i + 1) ? 'echo "no such keyword" >&2; exit 1' : 'grep -q new {file}', check: 'test -s {file}'}
    }),
  )
}

const run = (targets: RolloutTarget[], extra: {canary?: number; maxFailures?: number; concurrency?: number}) =>
  rollout({targets, source: Buffer.from('new\n'), connect: async (t) => new LocalTransport(t.name), reporter: new MemoryReporter(), ...extra})

describe('rollout scheduling on local hosts', () => {
  it('--canary 1: a failing canary stops the rollout before any other host starts', async () => {
    const targets = await localHosts(4, [1])
    const result = await run(targets, {canary: 1, maxFailures: 3})
    expect(result.hosts.map((h) => h.status)).to.deep.equal(['rejected', 'skipped', 'skipped', 'skipped'])
    for (const t of targets) expect(await readFile(t.remotePath, 'utf8')).to.equal('old\n')
    expect(result.exitCode).to.equal(3)
  })

  it('--canary 1: a good canary lets the rest follow', async () => {
    const targets = await localHosts(4)
    const result = await run(targets, {canary: 1})
    expect(result.hosts.map((h) => h.status)).to.deep.equal(['updated', 'updated', 'updated', 'updated'])
    for (const t of targets) expect(await readFile(t.remotePath, 'utf8')).to.equal('new\n')
  })

  it('--max-failures 1 tolerates one failed host and stops at the second', async () => {
    const targets = await localHosts(5, [2, 3])
    const result = await run(targets, {concurrency: 1, maxFailures: 1})
    expect(result.hosts.map((h) => h.status)).to.deep.equal(['updated', 'rejected', 'rejected', 'skipped', 'skipped'])
    expect(result.exitCode).to.equal(4)
    expect(result.hosts[1].message).to.include('no such keyword')
  })
})

describe('operator templates on a host whose path holds shell text', () => {
  it('a push runs none of it, whether the template quotes {file} or not', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'hactl-local-'))
    const marker = path.join(root, 'ran')
    // The folder's name cannot hold a slash: the commands find the marker through the environment they inherit.
    process.env.HACTL_TEST_MARKER = marker
    const folder = path.join(root, `$(touch "$HACTL_TEST_MARKER") \`touch "$HACTL_TEST_MARKER"\` "x"`)
    await mkdir(folder)
    const remotePath = path.join(folder, 'live.cfg')
    await writeFile(remotePath, 'old\n')
    const target: RolloutTarget = {
      name: 'host1',
      transport: 'local',
      remotePath,
      validate: 'grep -q new "{file}"',
      reload: 'test -f "{file}" && test -f {file}',
      check: 'test -s "$(printf %s "{file}")"',
    }
    const result = await run([target], {})
    expect(result.hosts.map((h) => [h.status, h.message])).to.deep.equal([['updated', undefined]])
    expect(await readFile(remotePath, 'utf8')).to.equal('new\n')
    expect(existsSync(marker), 'a command substitution in the path ran').to.equal(false)
    delete process.env.HACTL_TEST_MARKER
  })
})
