/**
 * Points where a test holds a command still, so two commands can be raced in
 * an order the test chooses (a publish against a release, say) instead of by
 * luck. Inert unless HACTL_TEST_BARRIER names a folder: each point then
 * leaves `<point>.reached` there, and a point listed in HACTL_TEST_BARRIER_HOLD
 * (comma-separated) waits until the test creates `<point>.go`.
 */
import {access, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

function folder(): string | undefined {
  const dir = process.env.HACTL_TEST_BARRIER
  return dir && dir.length > 0 ? dir : undefined
}

/** Mark a point; hold there while the test says so. */
export async function barrier(point: string): Promise<void> {
  const dir = folder()
  if (!dir) return
  await writeFile(path.join(dir, `${point}.reached`), `${process.pid}\n`)
  const held = (process.env.HACTL_TEST_BARRIER_HOLD ?? '').split(',').includes(point)
  if (!held) return
  for (;;) {
    const go = await access(path.join(dir, `${point}.go`)).then(
      () => true,
      () => false,
    )
    if (go) return
    await delay(5)
  }
}
