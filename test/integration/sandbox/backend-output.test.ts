import {expect} from 'chai'

import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'

describe('backend add|remove off a terminal: one line per host, then the result', function () {
  this.timeout(120_000)
  let sb: TestSandbox

  before(async () => {
    sb = await upSandbox(41)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    await sb?.down()
  })

  it('prints one progress line per host on stderr, and the edit, the hosts and the summary on stdout', async () => {
    const server = `${sb.nets.backend}.9:9000`
    const {code, stderr, stdout} = await sb.run(['backend', 'add', 'web', server])
    expect(code, stderr).to.equal(0)
    expect(stderr.trim().split('\n').sort()).to.deep.equal(['proxy-1: updated', 'proxy-2: updated', 'proxy-3: updated'])
    const lines = stdout.trim().split('\n')
    expect(lines[0]).to.match(new RegExp(`haproxy\\.cfg: added server ${server.replaceAll('.', '\\.')} to backend web$`))
    expect(lines.slice(1, 4).map((l) => l.split('\t').slice(0, 2).join(' '))).to.deep.equal(['proxy-1 updated', 'proxy-2 updated', 'proxy-3 updated'])
    expect(lines[4]).to.match(/→ 3 hosts: 3 updated$/)
    expect(lines).to.have.length(5)
  })

  it('with -v every step of every host is shown too', async () => {
    const {code, stderr} = await sb.run(['backend', 'remove', 'web', `${sb.nets.backend}.9:9000`, '-v'])
    expect(code, stderr).to.equal(0)
    for (const host of ['proxy-1', 'proxy-2', 'proxy-3']) {
      for (const step of ['locking', 'sending', 'received', 'validated', 'installed', 'reloaded', 'the proxy passed its check', 'updated']) {
        expect(stderr).to.match(new RegExp(`^${host}: ${step}`, 'm'))
      }
    }
  })
})
