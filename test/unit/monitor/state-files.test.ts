import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {sandboxPaths} from '../../../src/cloud/local/paths.js'
import {readState as readSandboxState} from '../../../src/cloud/local/state.js'
import {HactlError} from '../../../src/errors.js'
import {FileLeaseStore} from '../../../src/monitor/file-lease.js'
import {readState} from '../../../src/monitor/state.js'

/** The error a read gave, as the CLI would show it. */
async function failure(read: () => Promise<unknown>): Promise<HactlError> {
  const error = await read().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'the read should fail').to.be.instanceOf(HactlError)
  return error as HactlError
}

describe('state files hactl writes for itself are checked when read back', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-state-'))
  })

  it('a monitor state file with a wrong field is refused naming the file and the field (exit 2)', async () => {
    const file = path.join(dir, '.hactl-monitor-web.json')
    await writeFile(file, JSON.stringify({version: 1, counters: {}, remaps: [{at: 'yesterday', allocationId: 'eipalloc-1'}], lostAt: {}, lastActions: [], alerts: {}}))
    const error = await failure(() => readState(file))
    expect(error.exitCode).to.equal(2)
    expect(error.located).to.include(file).and.include('remaps.0.at')
    expect(error.actions.join(' ')).to.include('Move it aside')
  })

  it('a monitor state file cut short is refused naming the file', async () => {
    const file = path.join(dir, '.hactl-monitor-web.json')
    await writeFile(file, '{"version": 1, "counters": {"i-1": {"hea')
    const error = await failure(() => readState(file))
    expect(error.exitCode).to.equal(2)
    expect(error.located).to.include(file).and.include('not valid JSON')
  })

  it('a monitor state file from an older hactl, without the newer keys, still reads', async () => {
    const file = path.join(dir, '.hactl-monitor-web.json')
    await writeFile(file, JSON.stringify({version: 1, counters: {}, remaps: [], lostAt: {}, lastActions: []}))
    expect((await readState(file)).alerts).to.deep.equal({})
  })

  it("a sandbox's state file cut short is refused naming the file, with how to rebuild it", async () => {
    const file = sandboxPaths(dir).state
    await writeFile(file, '{"version": 1, "cluster": "sandbox", "instances": [')
    const error = await failure(() => readSandboxState(dir))
    expect(error.exitCode).to.equal(2)
    expect(error.located).to.include(file)
    expect(error.actions.join(' ')).to.include('hactl sandbox down')
  })

  it("a sandbox's state file with an address of the wrong shape is refused naming the field", async () => {
    const file = sandboxPaths(dir).state
    await writeFile(file, JSON.stringify({version: 1, cluster: 'sandbox', instances: [], addresses: [{allocationId: 'eipalloc-1'}], records: [], serial: 1, backends: []}))
    const error = await failure(() => readSandboxState(dir))
    expect(error.located).to.include(file).and.include('addresses.0.publicIp')
  })

  it('a lease file that is not a lease is refused naming the file', async () => {
    const store = new FileLeaseStore(dir)
    await writeFile(path.join(dir, 'web.json'), JSON.stringify({holder: 'a'}))
    const error = await failure(() => store.read('web'))
    expect(error.located).to.include(path.join(dir, 'web.json'))
  })
})
