/**
 * Unguessable hex for temp-file names and lock tokens. node:crypto is loaded
 * on the first call, not with the module: it costs a process about 4 ms, and
 * commands that only read (list, validate, --help) never need it.
 */
export function randomHex(bytes: number): string {
  return process.getBuiltinModule('node:crypto').randomBytes(bytes).toString('hex')
}
