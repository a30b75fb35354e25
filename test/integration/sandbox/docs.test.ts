/**
 * docs/sandbox.md stays true: every `console` block on the page is run, in
 * order, on a terminal (as a reader would see it: tables with headers) against
 * a test sandbox, and each command's exit code and the lines the page shows
 * under it are checked. The page's nets, ports and folder are mapped onto the
 * test sandbox's; ids, pids, clock times and timings may differ.
 */
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {BIN, ROOT, type CliResult} from '../../harness/cli.js'
import {netOctet, upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface PageCommand {
  command: string
  /** The page's lines under the command, as printed. */
  shows: string[]
  /** 0 unless an `echo $?` after it shows another. */
  exitCode: number
  line: number
}

interface PageBlock {
  commands: PageCommand[]
  /** Runs on while the next block runs ("in a second terminal"); ready once this many of its lines are out. */
  background?: {ready: number}
}

/** The `console` blocks of a markdown page, with `$ ` commands and `echo $?` exit codes. */
export function consoleBlocks(page: string): PageBlock[] {
  const blocks: PageBlock[] = []
  const lines = page.split('\n')
  let current: PageBlock | undefined
  let marker: PageBlock['background']
  for (const [i, line] of lines.entries()) {
    const ready = /^<!-- doc-test: in the background; ready after (\d+) lines -->$/.exec(line)
    if (ready) marker = {ready: Number(ready[1])}
    if (!current && line === '```console') {
      current = {commands: [], background: marker}
      marker = undefined
      continue
    }
    if (!current) continue
    if (line === '```') {
      blocks.push(current)
      current = undefined
      continue
    }
    const last = current.commands.at(-1)
    if (line === '$ echo $?') {
      last!.exitCode = Number(lines[i + 1])
      current.commands.push({command: '', shows: [], exitCode: 0, line: i + 1})
      continue
    }
    if (line.startsWith('$ ')) current.commands.push({command: line.slice(2), shows: [], exitCode: 0, line: i + 1})
    else if (last && last.command !== '') last.shows.push(line)
  }
  for (const block of blocks) block.commands = block.commands.filter((c) => c.command !== '')
  return blocks
}

/** What differs from run to run: ids, pids, clock times, timings, which zone a failover picked. */
function normalize(line: string): string {
  return line
    .replaceAll(/\b\d\d:\d\d:\d\d\.\d{3}\b/g, 'HH:MM:SS.mmm')
    .replaceAll(/\bi-[0-9a-f]{8,17}\b/g, 'i-ID')
    .replaceAll(/\beipalloc-[0-9a-f]{8,17}\b/g, 'eipalloc-ID')
    .replaceAll(/\b[a-z0-9]{8}-\d+\b/g, 'ROUND')
    .replaceAll(/\b(pid|supervisor) \d+/g, '$1 N')
    .replaceAll(/^(proxy-\d+\s.*\s)\d+$/g, '$1N')
    .replaceAll(/(\s)\d+\.\d(\s)/g, '$1S.S$2')
    .replaceAll(/\blocal-[a-z]\b/g, 'local-Z')
    .replaceAll(/\bHTTP (\d{3}) in \d+ ms\b/g, 'HTTP $1 in N ms')
    .replaceAll(/\s+/g, ' ')
    .trim()
}

/** Which of `shows` (in order) are not found, in order, in `output`. */
function missing(shows: readonly string[], output: string): string[] {
  const got = output.replaceAll('\r', '').split('\n').map(normalize).filter(Boolean)
  // `…` on a line of its own stands for lines the page leaves out.
  const want = shows.map(normalize).filter((l) => l !== '' && l !== '…')
  let at = 0
  const lost: string[] = []
  for (const line of want) {
    const found = got.indexOf(line, at)
    if (found === -1) lost.push(line)
    else at = found + 1
  }
  return lost
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

describe('docs/sandbox.md, run as written', function () {
  this.timeout(600_000)
  let cwd: string
  let sb: TestSandbox | undefined
  let env: NodeJS.ProcessEnv
  const background: ChildProcess[] = []

  /** Run one shell command on a terminal (`script`), as a reader would type it. */
  function onTerminal(command: string): {child: ChildProcess; result: Promise<CliResult>; output: () => string} {
    const child = spawn('script', ['-qec', command, '/dev/null'], {cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({code: code ?? 1, stdout, stderr})))
    return {child, result, output: () => stdout}
  }

  before(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'hactl-docs-'))
    // `hactl` on PATH, as after `npm link`.
    const bin = path.join(cwd, '.bin')
    await mkdir(bin)
    await writeFile(path.join(bin, 'hactl'), `#!/bin/sh\nexec ${shellWord(process.execPath)} ${shellWord(BIN)} "$@"\n`, {mode: 0o755})
    env = {...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', CI: 'true'}
  })

  after(async () => {
    for (const child of background) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM')
    if (sb) await onTerminal(`hactl sandbox down -c ${shellWord(sb.clusterFile)}`).result
  })

  it('every command exits as the page says and prints the lines it shows', async () => {
    const blocks = consoleBlocks(await readFile(path.join(ROOT, 'docs', 'sandbox.md'), 'utf8'))
    expect(blocks.length).to.be.greaterThan(5)
    let local = (text: string): string => text
    let waiting: {shows: string[]; output: () => string; child: ChildProcess; line: number} | undefined
    for (const block of blocks) {
      for (const step of block.commands) {
        let result: CliResult
        if (step.command === 'hactl sandbox up --dir sandbox') {
          // The page's sandbox, on the test's own nets and ports.
          sb = await upSandbox(40, {dir: 'sandbox', cwd, cli: (args) => onTerminal(`hactl ${args.map(shellWord).join(' ')}`).result})
          const {nets, ports} = sb
          local = (text) =>
            text
              .replaceAll(/http:\/\/127\.0\.2\.(\d+)\//g, `http://${nets.address}.$1:${ports.proxy}/`)
              .replaceAll('127.0.1.', `${nets.proxy}.`)
              .replaceAll('127.0.2.', `${nets.address}.`)
              .replaceAll('127.0.3.', `${nets.backend}.`)
              .replaceAll('127.22.', `127.${netOctet(41)}.`)
              .replaceAll(/\b8080\b/g, String(ports.backend))
              .replaceAll(/\b5353\b/g, String(ports.dns))
          result = sb.up
        } else if (block.background) {
          const run = onTerminal(local(step.command))
          background.push(run.child)
          const ready = step.shows.slice(0, block.background.ready).map(local)
          await waitFor(`docs/sandbox.md:${step.line}: the first ${ready.length} lines of \`${step.command}\``, () => missing(ready, run.output()).length === 0 || undefined, 60_000)
          waiting = {shows: step.shows.map(local), output: run.output, child: run.child, line: step.line}
          continue
        } else {
          result = await onTerminal(local(step.command)).result
        }
        const where = `docs/sandbox.md:${step.line}: \`${step.command}\` printed:\n${result.stdout}${result.stderr}`
        expect(result.code, where).to.equal(step.exitCode)
        expect(missing(step.shows.map(local), result.stdout), where).to.deep.equal([])
      }
      // A background command has printed all it shows by the end of the block after it.
      if (waiting && !block.background) {
        const {child, line, output, shows} = waiting
        await waitFor(`docs/sandbox.md:${line}: every line the page shows`, () => missing(shows, output()).length === 0 || undefined, 60_000).catch(() => {
          expect(missing(shows, output()), `docs/sandbox.md:${line} printed:\n${output()}`).to.deep.equal([])
        })
        process.kill(-child.pid!, 'SIGTERM')
        await waitFor('the background command to stop', () => child.exitCode !== null || child.signalCode !== null || undefined, 30_000)
        waiting = undefined
      }
    }
  })
})
