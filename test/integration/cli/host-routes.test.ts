import {expect} from 'chai'
import {createServer, request, type Server} from 'node:http'
import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'
import {freePort} from '../../harness/ports.js'
import {startProcess} from '../../harness/process.js'
import {portOpen, waitFor} from '../../harness/wait.js'

async function workspace(name: string, text: string): Promise<{dir: string; file: string; read: () => Promise<string>}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-routes-'))
  const file = path.join(dir, name)
  await writeFile(file, text)
  return {dir, file, read: () => readFile(file, 'latin1')}
}

/** An HTTP server that answers every request with its own name. */
async function namedServer(name: string): Promise<{port: number; server: Server}> {
  const server = createServer((_, res) => res.end(name))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {port: (server.address() as {port: number}).port, server}
}

async function getWithHost(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, path: '/', headers: {host}, agent: false, timeout: 3000}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('host routes (built CLI)', function () {
  this.timeout(120_000)

  describe('nginx route add --host on a site that does not listen on 80', () => {
    const servers: Server[] = []
    after(() => {
      for (const s of servers) s.close()
    })

    it('the new server block listens where the site does, so real nginx sends that host to the new backend', async () => {
      const web = await namedServer('web')
      const api = await namedServer('api')
      servers.push(web.server, api.server)
      const port = await freePort()
      const site = [
        'events {}',
        'http {',
        `    upstream web { server 127.0.0.1:${web.port}; }`,
        `    upstream api { server 127.0.0.1:${api.port}; }`,
        '    server {',
        `        listen 127.0.0.1:${port} default_server;`,
        '        server_name www.example.test;',
        '        location / {',
        '            proxy_pass http://web;',
        '        }',
        '    }',
        '}',
        '',
      ].join('\n')
      const {dir, file, read} = await workspace('nginx.conf', site)
      const added = await hactl(['route', 'add', '--host', 'api.example.test', 'api', '--file', file, '--engine', 'nginx'])
      expect(added.code, added.stderr).to.equal(0)
      expect(await read()).to.include(`server {\n        listen 127.0.0.1:${port};\n        server_name api.example.test;`)
      await mkdir(path.join(dir, 'logs'))
      const nginx = startProcess('nginx', ['-p', dir, '-c', file, '-g', `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;`])
      try {
        await waitFor(`nginx on ${port}: ${nginx.output()}`, () => portOpen(port), 15_000)
        expect(await getWithHost(port, 'www.example.test')).to.equal('web')
        expect(await getWithHost(port, 'api.example.test')).to.equal('api')
      } finally {
        await nginx.stop()
      }
      const removed = await hactl(['route', 'remove', '--host', 'api.example.test', 'api', '--file', file])
      expect(removed.code, removed.stderr).to.equal(0)
      expect(await read(), 'add then remove gives back the bytes').to.equal(site)
    })
  })

  describe('host names are compared without regard to case, and keep the spelling of the file', () => {
    const HAPROXY = [
      'defaults',
      '    mode http',
      '    timeout client 5s',
      '    timeout connect 5s',
      '    timeout server 5s',
      '',
      'frontend fe',
      '    bind 127.0.0.1:18080',
      '    use_backend api if { hdr(host) -i a.example.com }',
      '    default_backend web',
      '',
      'backend web',
      '    server w1 127.0.3.1:8080',
      '',
      'backend api',
      '    server a1 127.0.3.2:8080',
      '',
    ].join('\n')

    it('haproxy: another backend for the same host in other case is refused; the same one is already there', async () => {
      const {file, read} = await workspace('haproxy.cfg', HAPROXY)
      const conflict = await hactl(['route', 'add', '--host', 'A.EXAMPLE.COM', 'web', '--file', file])
      expect(conflict.code).to.equal(2)
      expect(conflict.stderr).to.include('already routes to api').and.include('written a.example.com')
      const same = await hactl(['route', 'add', '--host', 'A.Example.Com', 'api', '--file', file])
      expect(same.code, same.stderr).to.equal(0)
      expect(same.stdout + same.stderr).to.include('already routes to api')
      expect(await read()).to.equal(HAPROXY)
    })

    it('haproxy: API.example.com then api.example.com leaves one rule, as first written', async () => {
      const {file, read} = await workspace('haproxy.cfg', HAPROXY)
      expect((await hactl(['route', 'add', '--host', 'API.example.com', 'api', '--file', file])).code).to.equal(0)
      const again = await hactl(['route', 'add', '--host', 'api.example.com', 'api', '--file', file])
      expect(again.code, again.stderr).to.equal(0)
      const text = await read()
      expect(text.match(/hdr\(host\) -i api\.example\.com/gi)).to.deep.equal(['hdr(host) -i API.example.com'])
    })

    it('nginx: a host in other case goes to the server block that already names it, not a second one', async () => {
      const text = 'events {}\nhttp {\n    upstream web { server 127.0.3.1:8080; }\n    upstream api { server 127.0.3.2:8080; }\n    server {\n        listen 127.0.0.1:18081;\n        server_name A.Example.COM;\n        location / {\n            proxy_pass http://api;\n        }\n    }\n}\n'
      const {file, read} = await workspace('nginx.conf', text)
      const same = await hactl(['route', 'add', '--host', 'a.example.com', 'api', '--file', file])
      expect(same.code, same.stderr).to.equal(0)
      expect(await read()).to.equal(text)
      const moved = await hactl(['route', 'add', '--host', 'a.example.com', 'web', '--file', file])
      expect(moved.code, moved.stderr).to.equal(0)
      const after = await read()
      expect(after.match(/server \{/g)).to.have.length(1)
      expect(after).to.include('server_name A.Example.COM;').and.include('proxy_pass http://web;')
    })

    it('pound: the same host in another Service is refused, in any case', async () => {
      const text = 'ListenHTTP\n    Address 127.0.0.1\n    Port 18082\n    Service "api"\n        HeadRequire "Host: a.example.com"\n        BackEnd\n            Address 127.0.3.2\n            Port 8080\n        End\n    End\n    Service "web"\n        BackEnd\n            Address 127.0.3.1\n            Port 8080\n        End\n    End\nEnd\n'
      const {file, read} = await workspace('pound.cfg', text)
      const conflict = await hactl(['route', 'add', '--host', 'A.EXAMPLE.COM', 'web', '--file', file])
      expect(conflict.code).to.equal(2)
      expect(conflict.stderr).to.include('already routes to api')
      const same = await hactl(['route', 'add', '--host', 'A.EXAMPLE.COM', 'api', '--file', file])
      expect(same.code, same.stderr).to.equal(0)
      expect(await read()).to.equal(text)
    })

    it('perlbal: a host in other case is the VHOST already written, retargeted in place', async () => {
      const text = [
        'CREATE POOL web',
        '  POOL web ADD 127.0.3.1:8080',
        'CREATE POOL api',
        '  POOL api ADD 127.0.3.2:8080',
        'CREATE SERVICE web_proxy',
        '  SET role = reverse_proxy',
        '  SET pool = web',
        'ENABLE web_proxy',
        'CREATE SERVICE api_proxy',
        '  SET role = reverse_proxy',
        '  SET pool = api',
        'ENABLE api_proxy',
        'CREATE SERVICE lb',
        '  SET listen = 127.0.0.1:18083',
        '  SET role = selector',
        '  SET plugins = vhosts',
        '  VHOST lb a.example.com = api_proxy',
        'ENABLE lb',
        '',
      ].join('\n')
      const {file, read} = await workspace('perlbal.conf', text)
      const same = await hactl(['route', 'add', '--host', 'A.EXAMPLE.COM', 'api', '--file', file, '--no-validate'])
      expect(same.code, same.stderr).to.equal(0)
      expect(await read()).to.equal(text)
      const moved = await hactl(['route', 'add', '--host', 'A.EXAMPLE.COM', 'web', '--file', file, '--no-validate'])
      expect(moved.code, moved.stderr).to.equal(0)
      expect((await read()).match(/VHOST/g)).to.have.length(1)
      expect(await read()).to.include('VHOST lb a.example.com = web_proxy')
    })
  })
})
