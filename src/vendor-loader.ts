/**
 * Loads a dependency the build bundled on its own as CommonJS
 * (dist/vendor/NAME.cjs), with the V8 code cache the build wrote beside it
 * (NAME.cjs.cache): the functions a typical run compiles are read back
 * compiled instead of being parsed and compiled again by every process. Node
 * 20 keeps no such cache for ES modules, and compiling @oclif/core anew was a
 * sizeable share of every command's start-up.
 *
 * A cache from another Node or V8 (or other flags) is rejected by V8 and the
 * file is compiled as usual: slower, never wrong. The two files are written
 * together by `npm run build` (scripts/code-cache.mjs), which starts from an
 * empty dist/.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

const WRAPPER = '(function (exports, require, module, __filename, __dirname, __hactlImport, __hactlVendor) {'

/**
 * import() for the vendor file: a script compiled by node:vm cannot call it
 * without an experimental flag, so the build rewrote its import(x) calls (x
 * not a literal: oclif's command files, given as absolute URLs) into calls of this.
 */
const importModule = (specifier: string): Promise<unknown> => import(specifier)

/** One instance of each file per process: the facades of our ES code and the commands' own bundles share oclif, zod and yaml. */
const loaded = new Map<string, unknown>()

export function loadVendor(url: URL): unknown {
  const file = fileURLToPath(url)
  if (loaded.has(file)) return loaded.get(file)
  const exports = run(file)
  loaded.set(file, exports)
  return exports
}

/**
 * A command's own code, bundled by the build as CommonJS
 * (dist/own/commands/…/NAME.cjs) for the same reason as the vendor files: a
 * command's ~30 ES modules were each resolved, read and compiled anew. The
 * bundle reaches oclif, zod and yaml through `__hactlVendor(name)`, the
 * vendor files in `vendorDir`, so it shares them with the rest of the run.
 *
 * With source maps on (`--verbose`), Node's own require loads it instead:
 * V8 maps no stack trace of a script compiled by node:vm, and these must name
 * src/…ts lines. It finds `__hactlVendor` as a global then.
 */
export function loadOwn(url: URL, vendorDir: URL): unknown {
  const vendor = (name: string): unknown => loadVendor(new URL(`${name}.cjs`, vendorDir))
  const file = fileURLToPath(url)
  if (process.sourceMapsEnabled) {
    ;(globalThis as {__hactlVendor?: typeof vendor}).__hactlVendor = vendor
    return createRequire(file)(file) as unknown
  }
  return run(file, vendor)
}

function run(file: string, vendor?: (name: string) => unknown): unknown {
  const cacheFile = `${file}.cache`
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(cacheFile)
  } catch {
    // No cache (a build without it, a copied file): compile as usual.
  }
  const script = compileVendor(file, cachedData)
  const module = {exports: {}}
  const init = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string, load: typeof importModule, vendor?: (name: string) => unknown) => void
  init(module.exports, createRequire(file), module, file, path.dirname(file), importModule, vendor)
  // The build runs typical commands with this set: each writes the cache back with what it compiled.
  if (process.env.HACTL_WRITE_CODE_CACHE === '1') process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()))
  return module.exports
}

/** The vendor file compiled as loadVendor runs it; with cachedData, V8 says in script.cachedDataRejected whether it took it. */
export function compileVendor(file: string, cachedData?: Buffer): vm.Script {
  return new vm.Script(`${WRAPPER}${readFileSync(file, 'utf8')}\n})`, {filename: file, columnOffset: -WRAPPER.length, cachedData})
}
