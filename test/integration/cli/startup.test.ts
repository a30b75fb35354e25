import {expect} from 'chai'
import {mkdtemp, readFile, readdir, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {compileVendor} from '../../../src/vendor-loader.js'
import {hactl} from '../../harness/cli.js'

const CONFIG = ['global', '    maxconn 100', 'defaults', '    mode http', 'backend web', '    balance roundrobin', '    server web1 127.0.1.1:80', ''].join('\n')

/**
 * A preload that writes down every module the process loads, ES and
 * CommonJS, one URL or path a line: what a command's start-up costs is
 * mostly how many modules it loads and from where.
 */
const RECORDER = `
import Module, {register} from 'node:module'
import {appendFileSync} from 'node:fs'
const out = process.env.HACTL_TEST_MODULES
register('data:text/javascript,' + encodeURIComponent(\`
  import {appendFileSync} from 'node:fs'
  export async function load(url, context, next) {
    if (!url.startsWith('node:')) appendFileSync(\${JSON.stringify(out)}, url + '\\\\n')
    return next(url, context)
  }\`))
const compile = Module.prototype._compile
Module.prototype._compile = function (content, filename) {
  appendFileSync(out, filename + '\\n')
  return compile.call(this, content, filename)
}
`

async function modulesLoadedBy(args: string[], dir: string): Promise<{code: number; stderr: string; modules: string[]}> {
  const recorder = path.join(dir, 'recorder.mjs')
  const list = path.join(dir, `modules-${Date.now()}.txt`)
  await writeFile(recorder, RECORDER)
  await writeFile(list, '')
  const {code, stderr} = await hactl(args, {env: {NODE_OPTIONS: `--import ${pathToFileURL(recorder).href}`, HACTL_TEST_MODULES: list}})
  const modules = (await readFile(list, 'utf8')).split('\n').filter((l) => l && !l.endsWith('recorder.mjs'))
  return {code, stderr, modules}
}

describe('hactl start-up (built CLI)', function () {
  this.timeout(60_000)

  it('backend add --file loads the bundle alone: no module from node_modules, a few dozen files at most', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-startup-'))
    const file = path.join(dir, 'haproxy.cfg')
    await writeFile(file, CONFIG)
    const {code, stderr, modules} = await modulesLoadedBy(['backend', 'add', 'web', '127.0.1.2:80', '--file', file, '--no-validate'], dir)
    expect(code, stderr).to.equal(0)
    expect(await readFile(file, 'latin1')).to.include('127.0.1.2:80')
    expect(modules.filter((m) => m.includes(`${path.sep}node_modules${path.sep}`) || m.includes('/node_modules/'))).to.deep.equal([])
    expect(modules.length, modules.join('\n')).to.be.below(40)
  })

  it('a run of an own command reads no plugin; help and autocomplete still list and run theirs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hactl-startup-'))
    const file = path.join(dir, 'haproxy.cfg')
    await writeFile(file, CONFIG)
    // oclif's own debug log names the plugins it loads.
    const own = await hactl(['backend', 'list', '--file', file], {env: {DEBUG: 'oclif:*'}})
    expect(own.code, own.stderr).to.equal(0)
    expect(own.stdout).to.include('web1')
    expect(own.stderr).to.not.include('@oclif/plugin-help')

    const root = await hactl(['--help'])
    expect(root.stdout).to.match(/^ {2}autocomplete +Display autocomplete installation instructions\.$/m)
    expect(root.stdout).to.match(/^ {2}help +Display help for hactl\.$/m)
    const help = await hactl(['help', 'backend', 'list'])
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.include('$ hactl backend list [BACKEND]')
    // Its cache goes to the test's folder, not the user's.
    const complete = await hactl(['autocomplete', 'bash'], {env: {HACTL_CACHE_DIR: dir}})
    expect(complete.code, complete.stderr).to.equal(0)
    expect(complete.stdout).to.include('hactl autocomplete')
  })

  it('the bundled oclif, zod and yaml load with the code cache the build wrote for them, and V8 takes it', async () => {
    const vendor = fileURLToPath(new URL('../../../dist/vendor/', import.meta.url))
    const files = (await readdir(vendor)).filter((f) => f.endsWith('.cjs')).sort()
    expect(files).to.deep.equal(['oclif.cjs', 'yaml.cjs', 'zod.cjs'])
    for (const file of files) {
      const script = compileVendor(path.join(vendor, file), await readFile(path.join(vendor, `${file}.cache`)))
      expect(script.cachedDataRejected, file).to.equal(false)
    }
  })

  it("the bundled zod loads its locales when read: English errors, every other locale still there", async () => {
    const {loadVendor} = await import('../../../src/vendor-loader.js')
    const z = loadVendor(new URL('../../../dist/vendor/zod.cjs', import.meta.url)) as typeof import('zod')
    const result = z.number().min(1).safeParse(0)
    expect(result.success).to.equal(false)
    expect(result.error?.issues[0].message).to.equal('Too small: expected number to be >=1')
    expect(Object.keys(z.locales)).to.include.members(['en', 'fr', 'de', 'ja', 'zhCN'])
    expect(z.locales.fr().localeError).to.be.a('function')
  })

  it("every command's own bundle has a code cache V8 takes", async () => {
    const own = fileURLToPath(new URL('../../../dist/own/', import.meta.url))
    const bundles = (await readdir(own, {recursive: true})).filter((f) => f.endsWith('.cjs'))
    expect(bundles).to.include(path.join('commands', 'backend', 'add.cjs'))
    for (const file of bundles) {
      const script = compileVendor(path.join(own, file), await readFile(path.join(own, `${file}.cache`)))
      expect(script.cachedDataRejected, file).to.equal(false)
    }
  })
})
