import {expect} from 'chai'
import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

describe('an edit that a rollout must follow checks the rollout can happen before it writes', function () {
  this.timeout(60_000)

  it('backend add on a sandbox cluster whose sandbox is down writes nothing and says how to start it, with the real -c path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-down-'))
    const init = await hactl(['init', '--yes', '--provider', 'local'], {cwd: dir})
    expect(init.code, init.stderr).to.equal(0)
    const cfg = (await readFile(path.join(dir, 'hactl.yaml'), 'utf8')).match(/config: (\S+)/)![1]
    const before = await readFile(path.join(dir, cfg), 'latin1')
    const clusterFile = path.join(dir, 'hactl.yaml')
    const add = await hactl(['backend', 'add', 'web', '127.0.0.1:9999', '-c', clusterFile])
    expect(add.code, add.stderr).to.not.equal(0)
    expect(add.stderr).to.include('no sandbox is running').and.include('nothing was edited')
    expect(add.stderr).to.include(`hactl sandbox up -c ${clusterFile}`)
    expect(await readFile(path.join(dir, cfg), 'latin1')).to.equal(before)
    // --no-push edits the source alone.
    const only = await hactl(['backend', 'add', 'web', '127.0.0.1:9999', '-c', clusterFile, '--no-push'])
    expect(only.code, only.stderr).to.equal(0)
    expect(await readFile(path.join(dir, cfg), 'latin1')).to.include('127.0.0.1:9999')
  })
})
