import {expect} from 'chai'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl, ROOT} from '../../harness/cli.js'

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'hactl-cli-'))
}

describe('hactl, the command line', () => {
  it('--help lists the command topics', async () => {
    const {code, stdout} = await hactl(['--help'])
    expect(code).to.equal(0)
    for (const topic of ['init', 'validate', 'doctor']) expect(stdout).to.match(new RegExp(`^  ${topic} `, 'm'))
  })

  it('init --yes writes a cluster file and a starter config that validate accepts', async () => {
    const dir = await tempDir()
    const init = await hactl(['init', '--yes', '--provider', 'local', '--engine', 'haproxy'], {cwd: dir})
    expect(init.code, init.stderr).to.equal(0)
    expect(await readFile(path.join(dir, 'hactl.yaml'), 'utf8')).to.include('provider: local')
    const validate = await hactl(['validate'], {cwd: dir})
    expect(validate.code, validate.stderr).to.equal(0)
    expect(validate.stdout).to.include('ok')
  })

  for (const engine of ['nginx', 'pound', 'perlbal']) {
    it(`init writes a ${engine} starter that the cluster file names`, async () => {
      const dir = await tempDir()
      expect((await hactl(['init', '--yes', '--engine', engine], {cwd: dir})).code).to.equal(0)
      expect(await readFile(path.join(dir, 'hactl.yaml'), 'utf8')).to.include(`engine: ${engine}`)
    })
  }

  it('init refuses to overwrite without --force and leaves the file as it was', async () => {
    const dir = await tempDir()
    await writeFile(path.join(dir, 'hactl.yaml'), 'mine\n')
    const again = await hactl(['init', '--yes'], {cwd: dir})
    expect(again.code).to.equal(2)
    expect(again.stderr).to.include('--force')
    expect(await readFile(path.join(dir, 'hactl.yaml'), 'utf8')).to.equal('mine\n')
    expect((await hactl(['init', '--yes', '--force'], {cwd: dir})).code).to.equal(0)
  })

  it('init --dry-run writes nothing', async () => {
    const dir = await tempDir()
    const {code, stdout} = await hactl(['init', '--yes', '--dry-run'], {cwd: dir})
    expect(code).to.equal(0)
    expect(stdout).to.include('would write')
    const missing = await readFile(path.join(dir, 'hactl.yaml')).catch(() => 'absent')
    expect(missing).to.equal('absent')
  })

  const broken: [string, string, RegExp][] = [
    ['a YAML syntax error', 'cluster: web\nproxy: [\n', /^broken\.yaml:\d+:\d+: /m],
    ['a wrong type', 'cluster: web\nproxy:\n  config: x\naddresses: { count: many }\n', /^broken\.yaml:4:\d+: addresses\.count: expected number/m],
    ['an unknown key', 'cluster: web\nprxy: {}\nproxy:\n  config: x\n', /^broken\.yaml:2:1: unknown key "prxy"/m],
    ['a missing required key', 'cluster: web\nproxy:\n  engine: haproxy\n', /^broken\.yaml:3:3: missing required key "proxy\.config"/m],
    ['{file} inside single quotes in a template', `cluster: web\nproxy:\n  config: x\n  validate: haproxy -c -f '{file}'\n`, /^broken\.yaml:4:13: proxy\.validate: \{file\} stands inside single quotes/m],
    ['{file} quoted in a host\'s override', `cluster: web\nprovider: static\nproxy:\n  config: x\nhosts:\n  - { name: lb1, address: 127.0.0.1 }\n  - name: lb2\n    address: 127.0.0.1\n    reload: sh -c 'kill -HUP $(cat {file}.pid)'\n`, /^broken\.yaml:9:13: hosts\.1\.reload: \{file\} stands inside single quotes/m],
    ['a bad duration', 'cluster: web\nproxy:\n  config: x\nhealth:\n  proxy:\n    interval: soon\n', /^broken\.yaml:6:15: health\.proxy\.interval: "soon" is not a duration/m],
  ]
  for (const [what, text, message] of broken) {
    it(`validate names file:line:col and exits 2 for ${what}`, async () => {
      const dir = await tempDir()
      await writeFile(path.join(dir, 'broken.yaml'), text)
      const {code, stderr} = await hactl(['validate', '-c', 'broken.yaml'], {cwd: dir})
      expect(code).to.equal(2)
      expect(stderr.replace(/^Error: /m, '')).to.match(message)
    })
  }

  it('with --json an error is one JSON object with code, exitCode, message, file and line', async () => {
    const dir = await tempDir()
    await writeFile(path.join(dir, 'broken.yaml'), 'cluster: web\nproxy:\n  engine: haproxy\n')
    const {code, stdout} = await hactl(['validate', '-c', 'broken.yaml', '--json'], {cwd: dir})
    expect(code).to.equal(2)
    const {error} = JSON.parse(stdout) as {error: Record<string, unknown>}
    expect(error).to.include({code: 'config', exitCode: 2, file: 'broken.yaml', line: 3})
    expect(error.message).to.include('proxy.config')
  })

  it('an unknown flag is a usage error: exit 2', async () => {
    const {code, stderr} = await hactl(['validate', '--bogus'])
    expect(code).to.equal(2)
    expect(stderr).to.include('--bogus')
  })

  it('doctor prints one line per check and exits 5 when one fails', async () => {
    const dir = await tempDir()
    const {code, stdout} = await hactl(['doctor'], {cwd: dir})
    expect(code).to.equal(5)
    expect(stdout).to.match(/^✓ node: /m)
    expect(stdout).to.match(/^✗ cluster file: /m)
  })

  it('doctor --json returns every check; a sound local cluster passes', async () => {
    const dir = await tempDir()
    await hactl(['init', '--yes'], {cwd: dir})
    const {code, stdout} = await hactl(['doctor', '--json'], {cwd: dir})
    const report = JSON.parse(stdout) as {checks: {name: string; ok: boolean}[]; ok: boolean}
    expect(report.checks.map((c) => c.name)).to.include.members(['node', 'cluster file', 'haproxy binary', 'proxy config'])
    expect(report.ok, stdout).to.equal(true)
    expect(code).to.equal(0)
  })

  it('doctor on a static cluster checks the SSH key and known_hosts', async () => {
    const dir = await tempDir()
    await hactl(['init', '--yes', '--provider', 'static', '--hosts', '192.0.2.10'], {cwd: dir})
    await writeFile(path.join(dir, 'hactl.yaml'), `${await readFile(path.join(dir, 'hactl.yaml'), 'utf8')}`.replace('knownHosts: ~/.ssh/known_hosts', 'knownHosts: ./nowhere'))
    const {code, stdout} = await hactl(['doctor'], {cwd: dir, env: {SSH_AUTH_SOCK: ''}})
    expect(code).to.equal(5)
    expect(stdout).to.match(/^✗ known_hosts: .*nowhere/m)
  })

  it('doctor on an aws cluster names the access key the credential chain finds, and never shows it whole', async () => {
    const dir = await tempDir()
    await hactl(['init', '--yes', '--provider', 'aws'], {cwd: dir})
    const noFiles = {AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: ''}
    const found = await hactl(['doctor'], {cwd: dir, env: {...noFiles, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE0000WXYZ', AWS_SECRET_ACCESS_KEY: 'secret'}})
    expect(found.stdout).to.match(/^✓ aws credentials: access key AKIA…WXYZ$/m)
    expect(found.stdout).not.to.include('AKIAEXAMPLE0000WXYZ')
    const missing = await hactl(['doctor'], {cwd: dir, env: {...noFiles, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: ''}})
    expect(missing.code).to.equal(5)
    expect(missing.stdout).to.match(/^✗ aws credentials: /m)
  })
})

describe('hactl --version', () => {
  it('prints name/version platform-arch node-version, as oclif does, from package.json', async () => {
    const {code, stdout} = await hactl(['--version'])
    const {version} = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}
    expect(code).to.equal(0)
    expect(stdout).to.equal(`hactl/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
  })
})
