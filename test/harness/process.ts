import {spawn, type ChildProcess, type SpawnOptions} from 'node:child_process'

const children = new Set<ChildProcess>()

/** Kill everything the harness started when the test run ends, even on failure. */
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export interface Started {
  child: ChildProcess
  output: () => string
  stop: () => Promise<void>
}

/** Start a long-running process the harness owns; its output is kept for failure messages. */
export function startProcess(command: string, args: string[], options: SpawnOptions = {}): Started {
  const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], ...options})
  children.add(child)
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => children.delete(child))
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}
