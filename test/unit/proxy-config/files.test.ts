import {expect} from 'chai'
import {chmod, lstat, mkdtemp, readdir, readFile, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {HactlError} from '../../../src/errors.js'
import '../../../src/proxy-config/engines.js'
import {detectEngine, readConfigFile, withFileLock, writeConfigFile} from '../../../src/proxy-config/files.js'

async function temp(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'hactl-files-'))
}

describe('config files on disk', () => {
  it('bytes that are not UTF-8 survive a read and a write unchanged', async () => {
    const dir = await temp()
    const file = path.join(dir, 'h.cfg')
    const bytes = Buffer.from([0x23, 0xe9, 0xff, 0xfe, 0x0d, 0x0a, 0x80])
    await writeFile(file, bytes)
    const text = await readConfigFile(file)
    await writeConfigFile(file, `${text}x`)
    expect(await readFile(file)).to.deep.equal(Buffer.concat([bytes, Buffer.from('x')]))
  })

  it('a write keeps the mode, keeps the previous version as FILE.hactl-bak and leaves no temp file', async () => {
    const dir = await temp()
    const file = path.join(dir, 'h.cfg')
    await writeFile(file, 'old\n')
    await chmod(file, 0o600)
    const {backup} = await writeConfigFile(file, 'new\n')
    expect(await readFile(file, 'utf8')).to.equal('new\n')
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    expect(await readFile(backup, 'utf8')).to.equal('old\n')
    expect((await readdir(dir)).sort()).to.deep.equal(['h.cfg', 'h.cfg.hactl-bak'])
  })

  it('a write through a symlink replaces the file it points at and keeps the link', async () => {
    const dir = await temp()
    const real = path.join(dir, 'real.cfg')
    const link = path.join(dir, 'link.cfg')
    await writeFile(real, 'old\n')
    await symlink(real, link)
    await writeConfigFile(link, 'new\n')
    expect((await lstat(link)).isSymbolicLink()).to.equal(true)
    expect(await readFile(real, 'utf8')).to.equal('new\n')
  })

  it('the lock makes runs on one file take turns', async () => {
    const dir = await temp()
    const file = path.join(dir, 'h.cfg')
    await writeFile(file, '')
    const order: string[] = []
    const run = (name: string): Promise<void> =>
      withFileLock(file, 'h.cfg', async () => {
        order.push(`${name} in`)
        await new Promise((resolve) => setImmediate(resolve))
        order.push(`${name} out`)
      })
    await Promise.all([run('a'), run('b'), run('c')])
    for (let i = 0; i < order.length; i += 2) expect(order[i].split(' ')[0]).to.equal(order[i + 1].split(' ')[0])
    expect(await readdir(dir)).to.deep.equal(['h.cfg'])
  })

  it('a missing file is a config error naming it (exit 2)', async () => {
    const error = await readConfigFile('/nonexistent/h.cfg', 'h.cfg').catch((e: unknown) => e)
    expect(error).to.be.instanceOf(HactlError)
    expect((error as HactlError).located).to.equal('h.cfg: no such file')
    expect((error as HactlError).exitCode).to.equal(2)
  })

  it('detects haproxy from content, and asks for --engine when it cannot tell', async () => {
    expect(await detectEngine('proxy.conf', 'global\n  maxconn 10\nbackend web\n  server a 1.2.3.4:80\n')).to.equal('haproxy')
    const error = await detectEngine('notes.txt', 'hello\n').catch((e: unknown) => e)
    expect((error as HactlError).actions.join(' ')).to.include('--engine')
  })
})
