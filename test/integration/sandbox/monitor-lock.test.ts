import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'

import {BIN} from '../../harness/cli.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface Running {
  child: ChildProcess
  out: () => string
  exit: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

describe('the monitor lock at its edges (sandbox, built CLI)', function () {
  this.timeout(120_000)
  let sb: TestSandbox
  const started: ChildProcess[] = []

  before(async () => {
    sb = await upSandbox(46)
    expect(sb.up.code, sb.up.stderr).to.equal(0)
  })

  after(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await sb?.down()
  })

  function monitor(...extra: string[]): Running {
    const child = spawn(process.execPath, [BIN, 'monitor', '-c', sb.clusterFile, ...extra], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    started.push(child)
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})))
    return {child, out: () => out, exit}
  }

  const lockHolder = (): number => (JSON.parse(readFileSync(`${sb.dir}/.hactl-monitor-sandbox.json.lock`, 'utf8')) as {pid: number}).pid

  it('a monitor started right after the previous one was SIGKILLed gets the lock at once', async () => {
    const first = monitor()
    await waitFor('the first monitor to run a round', () => first.out().includes('"round"') || undefined, 60_000)
    first.child.kill('SIGKILL')
    await first.exit
    const next = await sb.run(['monitor', '--once'])
    expect(next.code, next.stdout + next.stderr).to.be.oneOf([0, 5])
    expect(next.stderr + next.stdout).to.not.include('another monitor is running')
  })

  it('monitor --wait stops at once on SIGTERM and SIGINT while it waits, and the holder keeps its lock', async () => {
    const holder = monitor()
    await waitFor('the holding monitor to run a round', () => holder.out().includes('"round"') || undefined, 60_000)
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const waiting = monitor('--wait')
      await waitFor('the second monitor to wait for the lock', () => waiting.out().includes('monitor.waiting') || undefined, 60_000)
      expect(waiting.out()).to.include(`pid ${holder.child.pid}`)
      const sent = Date.now()
      waiting.child.kill(signal)
      const {code} = await Promise.race([
        waiting.exit,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`monitor --wait still running 10 s after ${signal}`)), 10_000)),
      ])
      expect(code, waiting.out()).to.equal(0)
      expect(Date.now() - sent).to.be.below(5000)
      expect(waiting.out()).to.include('stopped by signal while waiting for the lock')
      expect(lockHolder(), 'the lock still names the first monitor').to.equal(holder.child.pid)
      expect(holder.child.exitCode).to.equal(null)
    }
    holder.child.kill('SIGTERM')
    expect((await holder.exit).code).to.equal(0)
  })
})
