import {expect} from 'chai'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {LocalTransport} from '../../../src/remote/local.js'
import {LOCK_BUSY} from '../../../src/remote/plan.js'
import {type ChainResult, encodeLine, Runner, RunnerParser} from '../../../src/remote/runner.js'
import type {ExecResult} from '../../../src/remote/transport.js'

describe('the command runner a host lock holds', () => {
  let lockFile: string
  const lockArgv = (): string[] => ['flock', '--nonblock', '--conflict-exit-code', String(LOCK_BUSY), lockFile]

  beforeEach(async () => {
    lockFile = path.join(await mkdtemp(path.join(tmpdir(), 'hactl-runner-')), '.lock')
  })

  it('encodes any command as one line of plain bytes and octal escapes', () => {
    const line = encodeLine("printf '%s\\n' \"a b\" é\n$HOME")
    expect(line).to.match(/^[\w ./,:=@%+\\-]+$/)
    expect(line).to.include('\\0047').and.include('\\0012').and.include('\\0303\\0251')
  })

  it('runs commands in order and gives back each one exit code, stdout and stderr, byte for byte', async () => {
    const runner = new Runner(new LocalTransport(), lockArgv())
    await runner.ready
    const tricky = "it's \"quoted\"\n\ttabbed $HOME `x` \\ é"
    const [echoed, failed, quiet] = await Promise.all([
      runner.run(['printf', '%s', tricky]),
      runner.run(['sh', '-c', 'echo out; echo err >&2; exit 3']),
      runner.run(['true']),
    ])
    expect(echoed).to.deep.equal({code: 0, stdout: tricky, stderr: ''})
    expect(failed).to.deep.equal({code: 3, stdout: 'out\n', stderr: 'err\n'})
    expect(quiet).to.deep.equal({code: 0, stdout: '', stderr: ''})
    expect((await runner.end()).code).to.equal(0)
  })

  it('runs a chain in one write and stops it at the first failure; the next chain runs again', async () => {
    const runner = new Runner(new LocalTransport(), lockArgv())
    await runner.ready
    const results = await Promise.all(runner.chain([['echo', 'one'], ['sh', '-c', 'echo two; exit 4'], ['echo', 'three']]))
    expect(results).to.deep.equal([{code: 0, stdout: 'one\n', stderr: ''}, {code: 4, stdout: 'two\n', stderr: ''}, undefined])
    expect(await Promise.all(runner.chain([['echo', 'four'], ['echo', 'five']]))).to.deep.equal([
      {code: 0, stdout: 'four\n', stderr: ''},
      {code: 0, stdout: 'five\n', stderr: ''},
    ])
    await runner.end()
  })

  it('gives commands no stdin, so a command that reads it cannot eat the next one', async () => {
    const runner = new Runner(new LocalTransport(), lockArgv())
    await runner.ready
    expect((await runner.run(['cat'])).stdout).to.equal('')
    expect((await runner.run(['echo', 'next'])).stdout).to.equal('next\n')
    await runner.end()
  })

  it('holds the lock until it ends: a second runner is refused with the busy code, then gets it', async () => {
    const first = new Runner(new LocalTransport(), lockArgv())
    await first.ready
    const second = new Runner(new LocalTransport(), lockArgv())
    const refused = await second.ready.then(
      () => undefined,
      (error: {result?: ExecResult}) => error.result,
    )
    expect(refused?.code).to.equal(LOCK_BUSY)
    await first.end()
    const third = new Runner(new LocalTransport(), lockArgv())
    await third.ready
    await third.end()
  })

  it('once its shell has exited, fails every later command at once instead of waiting for it', async () => {
    const runner = new Runner(new LocalTransport(), ['false'])
    const refused = await runner.ready.then(
      () => undefined,
      (error: {result?: ExecResult}) => error.result,
    )
    expect(refused?.code).to.equal(1)
    const error = await runner.run(['echo', 'late']).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.match(/command runner on localhost exited \(code 1\)/)
  })

  it('after a command times out, fails it and runs later commands on their own', async () => {
    const runner = new Runner(new LocalTransport(), lockArgv(), 300)
    await runner.ready
    const error = await runner.run(['sleep', '5']).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.match(/sleep timed out after 300 ms/)
    expect((await runner.run(['echo', 'still here'])).stdout).to.equal('still here\n')
    await runner.end()
  })

  it('pairs results split anywhere across chunks of both streams, and passes over what a login shell prints first', () => {
    const results: ChainResult[] = []
    let locked = 0
    const parser = new RunnerParser(
      'M',
      () => locked++,
      (r) => results.push(r),
    )
    const out = Buffer.from('Welcome!\nM locked\nab\n\nM 0\n\nM 2\n\nM skipped\n')
    const err = Buffer.from('rc noise\nM\n\nM\nerr\n\nM\n\nM\n')
    for (let i = 0; i < Math.max(out.length, err.length); i += 3) {
      parser.stdout(out.subarray(i, i + 3))
      parser.stderr(err.subarray(i, i + 3))
    }
    expect(locked).to.equal(1)
    expect(results).to.deep.equal([{code: 0, stdout: 'ab\n', stderr: ''}, {code: 2, stdout: '', stderr: 'err\n'}, undefined])
  })

  it('hands over each whole stdout line of the running command as it comes, however the chunks fall', () => {
    const lines: string[] = []
    const parser = new RunnerParser('M', () => undefined, () => undefined, (line) => lines.push(line))
    const out = Buffer.from('M locked\nstep one 0\nstep two 0\n\nM 0\nnext\n\nM 1\n')
    for (let i = 0; i < out.length; i += 2) parser.stdout(out.subarray(i, i + 2))
    expect(lines).to.deep.equal(['step one 0', 'step two 0', 'next'])
  })

  it('feeds a command exactly its payload through the locked shell, before the lock is even held, and the next command still runs', async () => {
    const runner = new Runner(new LocalTransport(), lockArgv())
    const payload = Buffer.from("any bytes: 'quotes' $HOME `x` \\ \n& <second line>\n\u00e9")
    const lines: string[] = []
    const fed = runner.feed(['sh', '-c', `head -c ${payload.length} | od -An -c | wc -l; echo done`], payload, {onLine: (l) => lines.push(l)})
    const after = runner.run(['echo', 'after'])
    await runner.ready
    expect((await fed).code).to.equal(0)
    expect(lines.at(-1)).to.equal('done')
    expect((await after).stdout).to.equal('after\n')
    await runner.end()
  })

})
