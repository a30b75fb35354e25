/**
 * A live task list, one line per host, driven by a service's `rollout.*`
 * events: the TTY face of the same Reporter that prints plain lines in CI.
 * Drawn on stderr so stdout keeps only the result.
 */
import type {Reporter} from '../events.js'

export interface HostTasks {
  reporter: Reporter
  /** Resolves once the view has drawn its last frame. */
  finished: Promise<void>
}

interface Slot {
  setTitle(title: string): void
  setOutput(text: string): void
  settle(error?: Error): void
  skip(message: string): void
}

/**
 * The view starts on the `rollout.plan` event, which names the hosts; events
 * before it (there are none today) are dropped.
 */
export async function hostTasks(): Promise<HostTasks> {
  const listr2 = await import('listr2')
  let started: ((done: Promise<void>) => void) | undefined
  const finished = new Promise<void>((resolve) => (started = (done) => void done.then(resolve)))
  let slots = new Map<string, Promise<Slot>>()
  const reporter: Reporter = {
    emit(event) {
      if (event.code === 'rollout.plan') {
        const view = startView(listr2, (event.data?.hosts as string[] | undefined) ?? [])
        slots = view.slots
        started?.(view.finished)
        return
      }
      const host = event.subject
      const slot = host ? slots.get(host) : undefined
      if (!host || !slot) return
      void slot.then((s) => {
        if (event.code === 'rollout.skipped') return s.skip(`${host}: ${event.message}`)
        if (event.code !== 'rollout.done') return s.setOutput(event.message)
        s.setTitle(`${host}: ${event.message}`)
        s.settle(event.level === 'error' ? new Error(`${host}: ${event.message}`) : undefined)
      })
    },
  }
  return {reporter, finished}
}

function startView(listr2: typeof import('listr2'), hosts: readonly string[]): {slots: Map<string, Promise<Slot>>; finished: Promise<void>} {
  const {Listr, ListrLogger, ProcessOutput} = listr2
  const slots = new Map<string, Promise<Slot>>()
  const wiring = new Map<string, (slot: Slot) => void>()
  for (const host of hosts) slots.set(host, new Promise((resolve) => wiring.set(host, resolve)))
  const list = new Listr(
    hosts.map((host) => ({
      title: host,
      task: (_ctx: unknown, task: {title: string; output: string; skip: (m: string) => void}) =>
        new Promise<void>((resolve, reject) =>
          wiring.get(host)?.({
            setTitle: (t) => (task.title = t),
            setOutput: (t) => (task.output = t),
            settle: (error) => (error ? reject(error) : resolve()),
            skip: (m) => {
              task.skip(m)
              resolve()
            },
          }),
        ),
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: {logger: new ListrLogger({useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr)}), collapseErrors: false},
    },
  )
  const finished = list.run().then(
    () => undefined,
    () => undefined,
  )
  return {slots, finished}
}
