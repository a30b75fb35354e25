import {expect} from 'chai'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

const HAPROXY = `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend www
    bind 127.0.0.1:18091
    default_backend web

backend web
    balance roundrobin
    server web1 127.0.0.1:9001 check
    server web2 127.0.0.1:9002 check
`

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-affinity-'))
  const at = path.join(dir, name)
  await writeFile(at, text)
  return at
}

describe('hactl backend affinity', function () {
  this.timeout(60_000)

  it('--dry-run shows the diff and writes nothing; the edit then shows in backend list; again changes nothing', async () => {
    const cfg = await file('haproxy.cfg', HAPROXY)
    const dry = await hactl(['backend', 'affinity', 'web', 'cookie', '--cookie', 'sid', '--file', cfg, '--dry-run'])
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.include('+    cookie sid insert indirect nocache')
    expect(dry.stdout).to.include('+    server web1 127.0.0.1:9001 check cookie web1')
    expect(await readFile(cfg, 'utf8')).to.equal(HAPROXY)

    const set = await hactl(['backend', 'affinity', 'web', 'cookie', '--cookie', 'sid', '--file', cfg, '--json'])
    expect(set.code, set.stderr).to.equal(0)
    expect(JSON.parse(set.stdout)).to.include({changed: true, written: true})
    const list = await hactl(['backend', 'list', '--file', cfg])
    expect(list.stdout.trim().split('\n').map((l) => l.split('\t').at(-1))).to.deep.equal(['cookie:sid', 'cookie:sid'])
    const again = await hactl(['backend', 'affinity', 'web', 'cookie', '--cookie', 'sid', '--file', cfg, '--json'])
    expect(JSON.parse(again.stdout)).to.include({changed: false})

    const off = await hactl(['backend', 'affinity', 'web', 'off', '--file', cfg])
    expect(off.code, off.stderr).to.equal(0)
    expect(await readFile(cfg, 'utf8')).to.equal(HAPROXY)
  })

  it('perlbal: exit 2, says it has no affinity and which engines do, file untouched', async () => {
    const text = 'CREATE POOL web\n  POOL web ADD 127.0.0.1:9001\n'
    const cfg = await file('perlbal.conf', text)
    const result = await hactl(['backend', 'affinity', 'web', 'source', '--file', cfg, '--engine', 'perlbal'])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/perlbal has no session affinity/)
    expect(result.stderr).to.match(/haproxy.*nginx.*pound/s)
    expect(await readFile(cfg, 'utf8')).to.equal(text)
  })

  it('--cookie with another mode is a usage error (exit 2)', async () => {
    const cfg = await file('haproxy.cfg', HAPROXY)
    const result = await hactl(['backend', 'affinity', 'web', 'source', '--cookie', 'x', '--file', cfg])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/--cookie goes with cookie mode only/)
  })
})
