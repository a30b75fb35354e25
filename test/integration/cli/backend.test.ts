import {expect} from 'chai'
import {chmod, mkdtemp, readFile, readdir, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

const CONFIG = [
  'global',
  '    maxconn 100',
  '',
  'defaults',
  '    mode http',
  '    timeout connect 1s',
  '    timeout client 1s',
  '    timeout server 1s',
  '',
  'frontend www',
  '    bind 127.0.0.1:18080',
  '    default_backend web',
  '',
  'backend web',
  '    balance roundrobin',
  '    server web1 127.0.1.1:80 check cookie w1',
  '    server web2 127.0.1.2:80 check cookie w2',
  '',
].join('\n')

async function workspace(config = CONFIG, name = 'haproxy.cfg'): Promise<{dir: string; file: string; read: () => Promise<string>}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-backend-'))
  const file = path.join(dir, name)
  await writeFile(file, config)
  return {dir, file, read: () => readFile(file, 'latin1')}
}

describe('hactl backend and route (built CLI, real haproxy -c)', function () {
  this.timeout(120_000)

  it('backend add writes one line, copies shared options but not cookie, keeps a backup and the mode', async () => {
    const {dir, file, read} = await workspace()
    await chmod(file, 0o640)
    const {code, stdout, stderr} = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file])
    expect(code, stderr).to.equal(0)
    expect(stdout).to.match(/: added server 127\.0\.1\.3:80 to backend web$/m)
    expect(await read()).to.equal(CONFIG.replace('cookie w2\n', 'cookie w2\n    server 127.0.1.3:80 127.0.1.3:80 check\n'))
    expect((await stat(file)).mode & 0o777).to.equal(0o640)
    expect(await readFile(`${file}.hactl-bak`, 'utf8')).to.equal(CONFIG)
    expect((await readdir(dir)).sort()).to.deep.equal(['haproxy.cfg', 'haproxy.cfg.hactl-bak'])
  })

  it('the summary names a server by its address once, and by name and address when they differ', async () => {
    const {file} = await workspace()
    const added = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file])
    expect(added.stdout).to.match(/: added server 127\.0\.1\.3:80 to backend web$/m)
    const again = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file])
    expect(again.stdout).to.match(/server 127\.0\.1\.3:80 is already in backend web$/m)
    const removed = await hactl(['backend', 'remove', 'web', '127.0.1.3:80', '--file', file])
    expect(removed.stdout).to.match(/: removed server 127\.0\.1\.3:80 from backend web$/m)
    const named = await hactl(['backend', 'add', 'web', '127.0.1.4:80', '--name', 'web4', '--file', file])
    expect(named.stdout).to.match(/: added server web4 127\.0\.1\.4:80 to backend web$/m)
  })

  it('backend add twice changes nothing the second time and exits 0', async () => {
    const {file, read} = await workspace()
    await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file])
    const once = await read()
    const again = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file, '--json'])
    expect(again.code).to.equal(0)
    expect(JSON.parse(again.stdout)).to.include({changed: false, written: false})
    expect(await read()).to.equal(once)
  })

  it('backend add --dry-run prints the diff and writes nothing', async () => {
    const {dir, file, read} = await workspace()
    const {code, stdout} = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--name', 'web3', '--weight', '5', '--file', file, '--dry-run'])
    expect(code).to.equal(0)
    expect(stdout).to.include('+    server web3 127.0.1.3:80 check weight 5')
    expect(stdout).to.include('nothing written')
    expect(await read()).to.equal(CONFIG)
    expect(await readdir(dir)).to.deep.equal(['haproxy.cfg'])
  })

  it('--json returns the edit with its diff and validation', async () => {
    const {file} = await workspace()
    const {code, stdout} = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file, '--json'])
    expect(code).to.equal(0)
    const result = JSON.parse(stdout)
    expect(result).to.include({changed: true, written: true, engine: 'haproxy', origin: 'file', op: 'add-server'})
    expect(result.validation).to.include({validator: 'haproxy -c', outcome: 'passed'})
    expect(result.server).to.include({name: '127.0.1.3:80', address: '127.0.1.3', port: 80, line: 18})
    expect(result.diff).to.include('+    server 127.0.1.3:80')
  })

  it('an edit haproxy -c rejects exits 3 with its words and leaves the file untouched', async () => {
    const {dir, file, read} = await workspace()
    const {code, stderr} = await hactl(['backend', 'add', 'web', 'no-such-host.invalid:80', '--file', file])
    expect(code).to.equal(3)
    expect(stderr).to.include('haproxy -c rejected the edited')
    expect(stderr).to.include("could not resolve address 'no-such-host.invalid'")
    expect(await read()).to.equal(CONFIG)
    expect(await readdir(dir)).to.deep.equal(['haproxy.cfg'])
    const skipped = await hactl(['backend', 'add', 'web', 'no-such-host.invalid:80', '--file', file, '--no-validate'])
    expect(skipped.code, skipped.stderr).to.equal(0)
    expect(await read()).to.include('no-such-host.invalid:80')
  })

  it('a file haproxy -c already rejected can be edited when the edit adds no new error, with a warning', async () => {
    const broken = CONFIG.replace('    bind 127.0.0.1:18080', '    bind 127.0.0.1:18443 ssl crt /nonexistent/site.pem')
    const {file, read} = await workspace(broken)
    const {code, stderr} = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file])
    expect(code, stderr).to.equal(0)
    expect(stderr).to.include('already rejected')
    expect(await read()).to.include('server 127.0.1.3:80')
  })

  const bad: [string, string, string[], RegExp][] = [
    ['an unterminated quote', CONFIG.replace('balance roundrobin', 'balance "roundrobin'), ['backend', 'add', 'web', '127.0.1.3:80'], /haproxy\.cfg:15:13: unterminated quote/],
    ['a server outside a backend', CONFIG.replace('    default_backend web', '    server x 127.0.0.1:80'), ['backend', 'list'], /haproxy\.cfg:12:5: 'server' is only allowed in a backend or listen section/],
    ['an unknown backend', CONFIG, ['backend', 'add', 'nope', '127.0.1.3:80'], /no backend "nope".*\n.*Backends there: web/],
    ['a bad port', CONFIG, ['backend', 'add', 'web', '127.0.1.3:70000'], /port 70000 is out of range/],
    ['a bad address', CONFIG, ['backend', 'add', 'web', 'bad_host!:80'], /is not an IP address or host name/],
    ['a server name HAProxy refuses', CONFIG, ['backend', 'add', 'web', '127.0.1.3:80', '--name', 'a/b'], /server name "a\/b" has characters HAProxy refuses/],
    ['both --host and --path', CONFIG, ['route', 'add', '--host', 'a.example', '--path', '/a', 'web'], /--host|--path/],
  ]
  for (const [what, config, args, message] of bad) {
    it(`${what}: exit 2, a clear message, nothing written`, async () => {
      const {dir, read} = await workspace(config)
      const {code, stderr} = await hactl([...args, '--file', 'haproxy.cfg'], {cwd: dir})
      expect(code, stderr).to.equal(2)
      expect(stderr).to.match(message)
      expect(await read()).to.equal(config)
      expect(await readdir(dir)).to.deep.equal(['haproxy.cfg'])
    })
  }

  it('backend list prints one tab-separated line per server when piped', async () => {
    const {file} = await workspace()
    const {code, stdout} = await hactl(['backend', 'list', '--file', file])
    expect(code).to.equal(0)
    expect(stdout.trim().split('\n')).to.deep.equal(['web\tweb1\t127.0.1.1\t80\tenabled\t-\tno\t16\toff', 'web\tweb2\t127.0.1.2\t80\tenabled\t-\tno\t17\toff'])
  })

  it('drain, disable and enable rewrite only the server line and enable restores it', async () => {
    const {file, read} = await workspace()
    expect((await hactl(['backend', 'drain', 'web', 'web1', '--file', file])).code).to.equal(0)
    expect(await read()).to.include('server web1 127.0.1.1:80 check cookie w1 weight 0\n')
    const listed = JSON.parse((await hactl(['backend', 'list', 'web', '--file', file, '--json'])).stdout)
    expect(listed.backends[0].servers[0]).to.include({state: 'drain', weight: 0})
    expect((await hactl(['backend', 'disable', 'web', '127.0.1.1:80', '--file', file])).code).to.equal(0)
    expect(await read()).to.include('server web1 127.0.1.1:80 check cookie w1 disabled\n')
    expect((await hactl(['backend', 'enable', 'web', 'web1', '--file', file])).code).to.equal(0)
    expect(await read()).to.equal(CONFIG)
  })

  it('backend remove by address gives back the file as it was before the add', async () => {
    const {file, read} = await workspace()
    await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--file', file])
    const removed = await hactl(['backend', 'remove', 'web', '127.0.1.3:80', '--file', file])
    expect(removed.code, removed.stderr).to.equal(0)
    expect(await read()).to.equal(CONFIG)
    const again = await hactl(['backend', 'remove', 'web', '127.0.1.3:80', '--file', file])
    expect(again.code).to.equal(0)
    expect(again.stdout).to.match(/^unchanged: /)
  })

  it('route add --create, route list, route remove', async () => {
    const {file, read} = await workspace()
    const added = await hactl(['route', 'add', '--host', 'api.example.com', 'api', '--create', '--file', file])
    expect(added.code, added.stderr).to.equal(0)
    expect(await read()).to.include('    use_backend api if { hdr(host) -i api.example.com }\n    default_backend web\n')
    expect(await read()).to.match(/\nbackend api\n$/)
    const listed = await hactl(['route', 'list', '--file', file])
    expect(listed.stdout.trim()).to.equal('www\thost\tapi.example.com\tapi\t12')
    const removed = await hactl(['route', 'remove', '--host', 'api.example.com', 'api', '--file', file])
    expect(removed.code, removed.stderr).to.equal(0)
    expect(await read()).to.equal(`${CONFIG}\nbackend api\n`)
  })

  it('without --file, edits the proxy.config the cluster file names; --no-push is accepted', async () => {
    const {dir, read} = await workspace()
    await writeFile(path.join(dir, 'hactl.yaml'), 'cluster: web\nproxy:\n  engine: haproxy\n  config: ./haproxy.cfg\n')
    const {code, stderr, stdout} = await hactl(['backend', 'add', 'web', '127.0.1.3:80', '--no-push', '--json'], {cwd: dir})
    expect(code, stderr).to.equal(0)
    expect(JSON.parse(stdout)).to.include({origin: 'cluster', file: 'haproxy.cfg'})
    expect(await read()).to.include('server 127.0.1.3:80')
  })

  it('detects haproxy from the content of a file with another name', async () => {
    const {dir} = await workspace(CONFIG, 'proxy.conf')
    const listed = await hactl(['backend', 'list', '--file', 'proxy.conf', '--json'], {cwd: dir})
    expect(listed.code, listed.stderr).to.equal(0)
    expect(JSON.parse(listed.stdout).engine).to.equal('haproxy')
  })

  it('20 backend add processes at once on one file: all 20 servers present, the file valid', async () => {
    const {file, read} = await workspace()
    const runs = await Promise.all(Array.from({length: 20}, (_, i) => hactl(['backend', 'add', 'web', `127.0.3.${i + 1}:80`, '--file', file], {timeoutMs: 110_000})))
    for (const run of runs) expect(run.code, run.stderr).to.equal(0)
    const text = await read()
    for (let i = 1; i <= 20; i++) expect(text).to.include(`server 127.0.3.${i}:80 127.0.3.${i}:80 check\n`)
    expect(text.split('\n')).to.have.length(CONFIG.split('\n').length + 20)
    const check = JSON.parse((await hactl(['backend', 'list', 'web', '--file', file, '--json'])).stdout)
    expect(check.backends[0].servers).to.have.length(22)
    const valid = await hactl(['backend', 'add', 'web', '127.0.1.1:80', '--file', file])
    expect(valid.code, valid.stderr).to.equal(0)
  })
})
