/**
 * One rollout over the local transport, as a process of its own, so a test
 * can let it SIGKILL itself (HACTL_TEST_KILL_AFTER) without killing mocha.
 *
 *   tsx test/harness/local-push.ts TARGET_JSON SOURCE_FILE
 *
 * Prints the rollout's result as JSON.
 */
import {readFile} from 'node:fs/promises'

import type {RolloutTarget} from '../../src/remote/hosts.js'
import {LocalTransport} from '../../src/remote/local.js'
import {rollout} from '../../src/remote/rollout.js'
import {MemoryReporter} from '../../src/events.js'

const [targetJson, sourceFile] = process.argv.slice(2)
const target = JSON.parse(targetJson) as RolloutTarget
const result = await rollout({
  targets: [target],
  source: await readFile(sourceFile),
  connect: async (t) => new LocalTransport(t.name),
  reporter: new MemoryReporter(),
  checkTimeoutMs: 2000,
})
process.stdout.write(JSON.stringify(result))
