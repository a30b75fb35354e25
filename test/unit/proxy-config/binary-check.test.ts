import {expect} from 'chai'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {runBinaryCheck} from '../../../src/proxy-config/binary-check.js'

describe('proxy validator binaries', () => {
  const saved = {PATH: process.env.PATH, TMPDIR: process.env.TMPDIR}
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })

  it('a validator that is not on PATH is reported missing without a temp copy or a process: nothing is written', async () => {
    process.env.PATH = await mkdtemp(path.join(tmpdir(), 'hactl-empty-path-'))
    // A temp folder that cannot be made: reaching for one would throw.
    process.env.TMPDIR = path.join(tmpdir(), 'hactl-no-such-folder', 'below')
    const result = await runBinaryCheck({command: 'haproxy', args: (f) => ['-c', '-f', f], validator: 'haproxy -c'}, 'global\n', 'haproxy.cfg')
    expect(result).to.equal(undefined)
  })
})
