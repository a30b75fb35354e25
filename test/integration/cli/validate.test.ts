import {expect} from 'chai'
import {appendFile, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'

async function cluster(engine: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-validate-'))
  const init = await hactl(['init', '--yes', '--provider', 'local', '--engine', engine], {cwd: dir})
  expect(init.code, init.stderr).to.equal(0)
  return dir
}

/** A PATH with node on it and no proxy binaries. */
const NO_PROXIES = {PATH: path.dirname(process.execPath)}

describe('hactl validate runs the proxy\'s own validator', () => {
  it('a sound haproxy config passes haproxy -c, and says so', async () => {
    const dir = await cluster('haproxy')
    const {code, stdout} = await hactl(['validate'], {cwd: dir})
    expect(code).to.equal(0)
    expect(stdout).to.equal('./hactl.yaml: ok (cluster file, haproxy parser, haproxy -c; provider local, engine haproxy)\n')
  })

  it('a config haproxy -c rejects (a duplicate backend, an unknown keyword) exits 3 with haproxy\'s own lines', async () => {
    const dir = await cluster('haproxy')
    await appendFile(path.join(dir, 'haproxy.cfg'), 'backend web\n    server a 127.0.0.1:80 chek\nbackend web\n')
    const before = await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')
    const {code, stderr, stdout} = await hactl(['validate'], {cwd: dir})
    expect(code).to.equal(3)
    expect(stdout).to.equal('')
    expect(stderr).to.match(/^Error: haproxy -c rejected haproxy\.cfg:$/m)
    expect(stderr).to.match(/\[ALERT\].*haproxy\.cfg:\d+.*unknown keyword 'chek'/)
    expect(stderr).to.match(/\[ALERT\].*backend 'web' has the same name as backend 'web'/)
    expect(stderr).not.to.include('[NOTICE]')
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(before)
  })

  it('under --json the rejection is the error shape with the validator, its output and the line', async () => {
    const dir = await cluster('haproxy')
    await appendFile(path.join(dir, 'haproxy.cfg'), 'backend web\n    server a 127.0.0.1:80 chek\n')
    const {code, stdout} = await hactl(['validate', '--json'], {cwd: dir})
    expect(code).to.equal(3)
    const {error} = JSON.parse(stdout) as {error: Record<string, unknown>}
    expect(error).to.include({code: 'rejected', exitCode: 3, validator: 'haproxy -c', file: 'haproxy.cfg'})
    expect(error.line).to.be.a('number')
    expect(error.output).to.include("unknown keyword 'chek'")
  })

  it('without haproxy on PATH the check is reported as skipped, not as passed', async () => {
    const dir = await cluster('haproxy')
    await appendFile(path.join(dir, 'haproxy.cfg'), 'backend web\n    server a 127.0.0.1:80 chek\n')
    const {code, stdout} = await hactl(['validate'], {cwd: dir, env: NO_PROXIES})
    expect(code).to.equal(0)
    expect(stdout).to.equal('./hactl.yaml: cluster file, haproxy parser ok; haproxy -c skipped: haproxy is not installed here (not on PATH) (provider local, engine haproxy)\n')
    const json = await hactl(['validate', '--json'], {cwd: dir, env: NO_PROXIES})
    expect(JSON.parse(json.stdout)).to.deep.include({checks: ['cluster file', 'haproxy parser'], skipped: {validator: 'haproxy -c', reason: 'haproxy is not installed here (not on PATH)'}})
  })

  it('an nginx config that nginx -t rejects exits 3 with nginx\'s own words', async () => {
    const dir = await cluster('nginx')
    const sound = await hactl(['validate'], {cwd: dir})
    expect(sound.code, sound.stderr).to.equal(0)
    expect(sound.stdout).to.match(/nginx -t/)
    const conf = path.join(dir, 'nginx.conf')
    await writeFile(conf, (await readFile(conf, 'utf8')).replace('max_fails=2', 'max_fails=2 wieght=3'))
    const {code, stderr} = await hactl(['validate'], {cwd: dir})
    expect(code).to.equal(3)
    expect(stderr).to.match(/nginx -t.* rejected nginx\.conf/)
    expect(stderr).to.match(/nginx: \[emerg\] invalid parameter "wieght=3" in nginx\.conf:\d+/)
  })

  it('a pound config is checked structurally: that is its check, not a skip', async () => {
    const dir = await cluster('pound')
    const {code, stdout} = await hactl(['validate'], {cwd: dir})
    expect(code).to.equal(0)
    expect(stdout).to.include('pound structure')
    expect(stdout).not.to.include('skipped')
  })
})
