import {mkdtemp, writeFile} from 'node:fs/promises'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {startProcess} from './process.js'
import {waitFor} from './wait.js'

export interface Haproxy {
  config: string
  socket: string
  dir: string
  /** Send one runtime API command to the admin socket and return its answer. */
  runtime: (command: string) => Promise<string>
  output: () => string
  stop: () => Promise<void>
}

/**
 * A real haproxy in master-worker mode with an admin stats socket. `body` is
 * the config after the global section (defaults, frontends, backends).
 */
export interface HaproxyOptions {
  /** Run in this (existing) folder instead of a new temp one, e.g. a small tmpfs. */
  dir?: string
  /**
   * Run with the folder as working directory and name the admin socket
   * relatively, so several haproxys can run one identical config file.
   */
  relative?: boolean
}

export async function startHaproxy(body: string, options: HaproxyOptions = {}): Promise<Haproxy> {
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'hactl-haproxy-')))
  const socket = path.join(dir, 'admin.sock')
  const config = path.join(dir, 'haproxy.cfg')
  await writeFile(config, `global\n    stats socket ${options.relative ? 'unix@admin.sock' : socket} mode 600 level admin expose-fd listeners\n\n${body}`)
  const proc = startProcess('haproxy', ['-W', '-db', '-f', config, '-p', path.join(dir, 'haproxy.pid')], options.relative ? {cwd: dir} : {})
  const runtime = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = connect(socket)
      let answer = ''
      s.on('connect', () => s.write(`${command}\n`))
      s.on('data', (d) => (answer += d.toString()))
      s.on('end', () => resolve(answer))
      s.on('error', reject)
    })
  await waitFor(`haproxy admin socket: ${proc.output()}`, async () => (await runtime('show info')).includes('Name: HAProxy'), 15_000)
  return {config, socket, dir, runtime, output: proc.output, stop: proc.stop}
}
