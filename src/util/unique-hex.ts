/**
 * Random hex for names that must not collide, not stay secret: temporary
 * files opened with O_EXCL (a guessed name only makes the open fail) and lock
 * tokens (written into the readable lock file anyway). Loading node:crypto
 * for these cost every edit's start-up several ms (it loads ~20 internal
 * modules); V8 seeds Math.random per process from the OS's entropy.
 */
export function uniqueHex(bytes: number): string {
  let out = ''
  for (let i = 0; i < bytes; i++) out += Math.floor(Math.random() * 256).toString(16).padStart(2, '0')
  return out
}
