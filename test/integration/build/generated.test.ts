import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {copyFile, mkdtemp, readdir, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {ROOT} from '../../harness/cli.js'

const run = promisify(execFile)

async function commandIds(dir: string, prefix: string[] = []): Promise<string[]> {
  const ids: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    if (entry.isDirectory()) ids.push(...(await commandIds(path.join(dir, entry.name), [...prefix, entry.name])))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const name = entry.name.replace(/\.ts$/, '')
      ids.push([...prefix, ...(name === 'index' ? [] : [name])].join(':'))
    }
  }
  return ids
}

describe('generated files', () => {
  it('oclif.manifest.json lists exactly the commands in src/commands (rebuild with npm run build)', async () => {
    const manifest = JSON.parse(await readFile(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    const expected = await commandIds(path.join(ROOT, 'src', 'commands'))
    expect(Object.keys(manifest.commands).sort()).to.deep.equal(expected.sort())
  })

  it('the README command reference is what `oclif readme` generates (refresh with npm run readme)', async () => {
    const copy = path.join(await mkdtemp(path.join(tmpdir(), 'hactl-readme-')), 'README.md')
    await copyFile(path.join(ROOT, 'README.md'), copy)
    await run(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'oclif', 'bin', 'run.js'), 'readme', '--no-aliases', '--no-source-links', '--tsconfig-path', 'tsconfig.build.json', '--readme-path', copy],
      {cwd: ROOT, env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}},
    )
    const fresh = await readFile(copy, 'utf8')
    const committed = await readFile(path.join(ROOT, 'README.md'), 'utf8')
    expect(committed === fresh, 'README.md command reference is stale: run `npm run readme` and commit it').to.equal(true)
  })

  it('every dependency with an install script is settled in allowScripts (npm ci warns about none)', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {allowScripts?: Record<string, boolean>}
    const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {packages: Record<string, {hasInstallScript?: boolean}>}
    const scripted = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length))
    const settled = new Set(Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@.*$/, '$1')))
    expect(scripted.filter((name) => !settled.has(name))).to.deep.equal([])
  })
})
