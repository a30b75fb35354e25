import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {pidAlive} from '../../../src/process/identity.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface View {
  supervisorPid?: number
  instances: {id: string; name: string; pid?: number}[]
}

describe('sandbox pid files are not trusted', function () {
  this.timeout(120_000)
  let sb: TestSandbox
  const bystanders: ChildProcess[] = []

  /** A process of this test that hactl never started, in a group of its own as the proxies are. */
  function bystander(): number {
    const child = spawn('sleep', ['600'], {detached: true, stdio: 'ignore'})
    bystanders.push(child)
    return child.pid as number
  }

  before(async () => {
    sb = await upSandbox(46)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    await sb?.down()
    for (const child of bystanders) if (child.pid && pidAlive(child.pid)) process.kill(child.pid, 'SIGKILL')
  })

  async function view(): Promise<View> {
    const status = await sb.run(['sandbox', 'status', '--json'])
    expect(status.code, status.stderr).to.equal(0)
    return JSON.parse(status.stdout) as View
  }

  it('kill leaves alone a process whose pid was written into a proxy\'s pid file, and still kills the proxy hactl started', async () => {
    const before = await view()
    const proxy = before.instances.find((i) => i.name === 'proxy-1')
    expect(proxy?.pid).to.be.a('number')
    const foreign = bystander()
    await writeFile(path.join(sb.dir, '.hactl-sandbox', 'instances', proxy!.id, 'haproxy.pid'), `${foreign}\n`)
    const kill = await sb.run(['sandbox', 'kill', 'proxy-1'])
    expect(kill.code, kill.stderr).to.equal(0)
    expect(kill.stderr).to.match(new RegExp(`names pid ${foreign} \\(sleep 600\\), which is not the haproxy hactl started: left alone`))
    expect(pidAlive(foreign), 'the unrelated process survived').to.equal(true)
    await waitFor('the real haproxy of proxy-1 to exit', () => !pidAlive(proxy!.pid!) || undefined)
  })

  it('down stops what it started and skips pid files that name other processes', async () => {
    const before = await view()
    const proxy = before.instances.find((i) => i.name === 'proxy-2')
    const foreignProxy = bystander()
    const foreignSupervisor = bystander()
    await writeFile(path.join(sb.dir, '.hactl-sandbox', 'instances', proxy!.id, 'haproxy.pid'), `${foreignProxy}\n`)
    await writeFile(path.join(sb.dir, '.hactl-sandbox', 'supervisor.pid'), `${foreignSupervisor}\n`)
    const down = await sb.down()
    expect(down.code, down.stderr).to.equal(0)
    expect(down.stderr).to.include(`names pid ${foreignProxy} (sleep 600)`).and.include(`names pid ${foreignSupervisor} (sleep 600)`)
    const ours = [before.supervisorPid, ...before.instances.map((i) => i.pid)].filter((p): p is number => typeof p === 'number')
    await waitFor('every process the sandbox started to exit', () => ours.every((p) => !pidAlive(p)) || undefined)
    expect(pidAlive(foreignProxy) && pidAlive(foreignSupervisor), 'the unrelated processes survived').to.equal(true)
    // What was left alone is still named by the sandbox's files, so nothing runs on unaccounted for.
    expect(down.stderr).to.include("kept the sandbox's state and pid files")
    expect(existsSync(path.join(sb.dir, '.hactl-sandbox', 'instances', proxy!.id, 'haproxy.pid'))).to.equal(true)
  })

  it('down stops a sandbox started by a hactl that kept no records, by the files its processes name', async () => {
    const legacy = await upSandbox(47)
    try {
      expect(legacy.up.code, legacy.up.stderr).to.equal(0)
      const status = await legacy.run(['sandbox', 'status', '--json'])
      const started = JSON.parse(status.stdout) as View
      // Remove every ownership record, as a sandbox from before they existed has none.
      const home = path.join(legacy.dir, '.hactl-sandbox')
      await rm(path.join(home, 'supervisor.owner.json'), {force: true})
      for (const i of started.instances) for (const f of await readdir(path.join(home, 'instances', i.id))) if (f.endsWith('.json') && f.includes('owner')) await rm(path.join(home, 'instances', i.id, f))
      const down = await legacy.down()
      expect(down.code, down.stderr).to.equal(0)
      const ours = [started.supervisorPid, ...started.instances.map((i) => i.pid)].filter((p): p is number => typeof p === 'number')
      await waitFor('every process of the record-less sandbox to exit', () => ours.every((p) => !pidAlive(p)) || undefined)
    } finally {
      await legacy.down()
    }
  })
})
