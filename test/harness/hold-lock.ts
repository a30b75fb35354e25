/**
 * A process that takes one of hactl's locks and holds it until it is killed;
 * prints "held" once it has it. Run with `node --import tsx`.
 * argv: KIND PATH, KIND one of monitor | moves | file | sandbox.
 */
import {writeFile} from 'node:fs/promises'

import {updateState} from '../../src/cloud/local/state.js'
import {withFailoverLock} from '../../src/failover/lock.js'
import {lockState} from '../../src/monitor/lock.js'
import {withFileLock} from '../../src/proxy-config/files.js'

const [kind, target] = process.argv.slice(2)
const forever = (): Promise<never> => {
  process.stdout.write('held\n')
  return new Promise(() => setInterval(() => undefined, 60_000))
}

if (kind === 'monitor') {
  await lockState(target)
  await forever()
} else if (kind === 'moves') {
  await withFailoverLock(target, forever)
} else if (kind === 'file') {
  await writeFile(target, 'global\n', {flag: 'a'})
  await withFileLock(target, target, forever)
} else if (kind === 'sandbox') {
  await updateState(target, forever)
}
