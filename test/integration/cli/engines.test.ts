import {expect} from 'chai'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

const NGINX = [
  'events {}',
  'http {',
  '    upstream web {',
  '        server 127.0.3.1:8080 max_fails=3;',
  '        server 127.0.3.2:8080 max_fails=3;',
  '    }',
  '    server {',
  '        listen 127.0.0.1:18081;',
  '        server_name www.example.test;',
  '        location / {',
  '            proxy_pass http://web;',
  '        }',
  '    }',
  '}',
  '',
].join('\n')

const POUND = 'ListenHTTP\n    Address 127.0.0.1\n    Port 18082\n    Service "web"\n        BackEnd\n            Address 127.0.3.1\n            Port 8080\n        End\n    End\nEnd\n'
const PERLBAL = 'CREATE POOL web\n  POOL web ADD 127.0.3.1:8080\n\nCREATE SERVICE lb\n  SET listen = 127.0.0.1:18083\n  SET role = reverse_proxy\n  SET pool = web\nENABLE lb\n'

async function workspace(name: string, text: string): Promise<{file: string; read: () => Promise<string>}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-engines-'))
  const file = path.join(dir, name)
  await writeFile(file, text)
  return {file, read: () => readFile(file, 'latin1')}
}

describe('backend and route commands on nginx, pound and perlbal files (built CLI, real nginx -t and perlbal)', function () {
  this.timeout(120_000)

  it('backend add --engine nginx inserts one server line checked by nginx -t, and says so under --json', async () => {
    const {file, read} = await workspace('site.conf', NGINX)
    const {code, stdout, stderr} = await hactl(['backend', 'add', 'web', '127.0.3.3:8080', '--file', file, '--engine', 'nginx', '--json'])
    expect(code, stderr).to.equal(0)
    const result = JSON.parse(stdout) as {changed: boolean; engine: string; validation: {validator: string; outcome: string}}
    expect(result).to.include({changed: true, engine: 'nginx'})
    expect(result.validation).to.deep.include({validator: 'nginx -t', outcome: 'passed'})
    expect(await read()).to.equal(NGINX.replace('127.0.3.2:8080 max_fails=3;\n', '127.0.3.2:8080 max_fails=3;\n        server 127.0.3.3:8080 max_fails=3;\n'))
  })

  it('--dry-run prints the diff and leaves an nginx file alone', async () => {
    const {file, read} = await workspace('site.conf', NGINX)
    const {code, stdout} = await hactl(['backend', 'disable', 'web', '127.0.3.1:8080', '--file', file, '--dry-run'])
    expect(code).to.equal(0)
    expect(stdout).to.include('-        server 127.0.3.1:8080 max_fails=3;\n+        server 127.0.3.1:8080 max_fails=3 down;')
    expect(await read()).to.equal(NGINX)
  })

  it('exits 3 and writes nothing when nginx -t rejects the result (last server removed)', async () => {
    const text = NGINX.replace('        server 127.0.3.2:8080 max_fails=3;\n', '')
    const {file, read} = await workspace('site.conf', text)
    const {code, stderr} = await hactl(['backend', 'remove', 'web', '127.0.3.1:8080', '--file', file])
    expect(code).to.equal(3)
    expect(stderr).to.include('no servers are inside upstream')
    expect(await read()).to.equal(text)
  })

  it('exits 2 with the file and line when the nginx file does not parse', async () => {
    const {file} = await workspace('site.conf', NGINX.replace('server_name www.example.test;', 'server_name "www.example.test;'))
    const {code, stderr} = await hactl(['backend', 'list', '--file', file, '--engine', 'nginx'])
    expect(code).to.equal(2)
    expect(stderr).to.match(/site\.conf:9: unterminated double-quoted string/)
  })

  it('route add --host then route remove give back the nginx file byte for byte', async () => {
    const {file, read} = await workspace('site.conf', NGINX)
    const added = await hactl(['route', 'add', '--host', 'api.example.test', 'web', '--file', file])
    expect(added.code, added.stderr).to.equal(0)
    const listed = await hactl(['route', 'list', '--file', file, '--json'])
    expect((JSON.parse(listed.stdout) as {routes: unknown[]}).routes).to.deep.include({frontend: 'api.example.test', kind: 'host', match: 'api.example.test', backend: 'web', line: 17})
    const removed = await hactl(['route', 'remove', '--host', 'api.example.test', 'web', '--file', file])
    expect(removed.code, removed.stderr).to.equal(0)
    expect(await read()).to.equal(NGINX)
  })

  it('detects a pound file without --engine, adds a BackEnd and reports the structural check', async () => {
    const {file, read} = await workspace('pound.cfg', POUND)
    const {code, stdout, stderr} = await hactl(['backend', 'add', 'web', '127.0.3.2:8080', '--file', file, '--json'])
    expect(code, stderr).to.equal(0)
    const result = JSON.parse(stdout) as {engine: string; validation: {validator: string}}
    expect(result.engine).to.equal('pound')
    expect(result.validation.validator).to.equal('structural (pound is not installed here)')
    expect(await read()).to.include('        End\n        BackEnd\n            Address 127.0.3.2\n            Port 8080\n        End\n    End\n')
  })

  it('detects a perlbal file, adds a node after a trial start, and refuses --weight with exit 2', async () => {
    const {file, read} = await workspace('perlbal.conf', PERLBAL)
    const added = await hactl(['backend', 'add', 'web', '127.0.3.2:8080', '--file', file, '--json'])
    expect(added.code, added.stderr).to.equal(0)
    expect((JSON.parse(added.stdout) as {validation: {validator: string}}).validation.validator).to.equal('perlbal (trial start on loopback)')
    expect(await read()).to.equal(PERLBAL.replace('ADD 127.0.3.1:8080\n', 'ADD 127.0.3.1:8080\n  POOL web ADD 127.0.3.2:8080\n'))
    const weighted = await hactl(['backend', 'add', 'web', '127.0.3.4:8080', '--weight', '5', '--file', file])
    expect(weighted.code).to.equal(2)
    expect(weighted.stderr).to.include('perlbal has no weight')
  })
})
