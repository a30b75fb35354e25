/**
 * Entry point of the sandbox supervisor, started detached by `hactl sandbox up`
 * with the cluster file as its only argument. Its output is the sandbox log.
 */
import {loadCluster} from '../cluster/loader.js'
import {jsonLinesReporter} from '../events.js'
import {Supervisor} from './supervisor.js'

const reporter = jsonLinesReporter(process.stdout)
try {
  const cluster = await loadCluster(process.argv[2])
  const supervisor = new Supervisor(cluster, reporter)
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => void supervisor.shutdown())
  await supervisor.start()
} catch (error) {
  reporter.emit({level: 'error', code: 'sandbox.fatal', message: error instanceof Error ? error.message : String(error)})
  process.exit(1)
}
