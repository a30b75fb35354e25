#!/usr/bin/env node
// `npm run build`: bundle the CLI with esbuild into dist/, one file per oclif
// command (the layout oclif.manifest.json points at) plus shared chunks.
//
// Why bundle: a process that runs one command used to load ~430 modules
// (oclif and its dependencies, zod, yaml, our own ~60 files), and resolving,
// reading and linking them one by one was most of its start-up. A command now
// loads its own file and the few chunks it shares with the others.
//
// Packages that are only imported lazily, on the paths that reach the network
// or a prompt (AWS SDK, ssh2 and its native add-on, listr2, inquirer, …), stay
// external: they load from node_modules as before, and only when used.
// Type checking is `npm run typecheck`; this step only emits.
import {build} from 'esbuild'
import {mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SRC = path.join(ROOT, 'src')
const DIST = path.join(ROOT, 'dist')

/** The dependencies on every command's start-up path: these are bundled, every other package stays external. */
const BUNDLED = new Set(['@oclif/core', 'zod', 'yaml', 'chalk', 'diff'])

function files(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : [],
  )
}

/** Each command is bundled on its own as CommonJS (see buildOwn); dist/commands/ holds the small ES modules oclif imports. */
const commandFiles = files(path.join(SRC, 'commands'))
const entryPoints = [
  // oclif loads hooks by path from package.json (oclif.hooks).
  ...files(path.join(SRC, 'hooks')),
  // bin/run.js starts oclif from here, so oclif and the commands share one copy of it.
  path.join(SRC, 'cli.ts'),
  path.join(SRC, 'index.ts'),
  // Started as its own process by `sandbox up`.
  path.join(SRC, 'sandbox', 'supervisor-main.ts'),
  // What each command's ES module loads its CommonJS bundle with (one instance for the whole run).
  path.join(SRC, 'vendor-loader.ts'),
]

/** A bare import of a package not in BUNDLED is left for Node to resolve at run time. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({filter: /^[^./]/}, (args) => {
      if (args.path.startsWith('node:')) return {external: true}
      const parts = args.path.split('/')
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
      // Imports made from inside a bundled package (its own dependencies) are bundled with it.
      if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return name === 'typescript' ? {external: true} : undefined
      return BUNDLED.has(name) ? undefined : {external: true}
    })
  },
}

/**
 * @oclif/core is CommonJS and requires every dependency at the top of each of
 * its files, so bundling cannot leave out what a run never uses. These are
 * used only on some paths (help templates, the spinner, globbing commands
 * when there is no manifest, plugin patterns, error pretty-printing, the
 * Node version check), as are the built-ins it needs only then (child_process
 * for WSL and shell lookups, readline for stdin arguments, perf_hooks for
 * OCLIF_PERFORMANCE): they load on first use instead, through a proxy that
 * forwards property reads and calls (all oclif does with them).
 */
const OCLIF_LAZY = ['node:child_process', 'node:perf_hooks', 'node:readline', 'ansi-escapes', 'clean-stack', 'cli-spinners', 'ejs', 'indent-string', 'lilconfig', 'minimatch', 'semver', 'string-width', 'tinyglobby', 'widest-line', 'wrap-ansi']
const LAZY_HELPER = `function __hactlLazy(load) {
  let module
  const get = () => (module ??= load())
  return new Proxy(() => {}, {
    apply: (_, self, args) => Reflect.apply(get(), self, args),
    get: (_, key) => get()[key],
    has: (_, key) => key in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key)
      return d && {...d, configurable: true}
    },
  })
}
`
/**
 * Things oclif does on every run that cost a run more than the rest of its
 * config loading, changed in the bundle only (the build fails if oclif's text
 * no longer matches, so an upgrade cannot drop them silently):
 * - it sorts the command ids with localeCompare, and the first localeCompare
 *   of a process loads ICU's collator: ~10 ms. For ids of lowercase letters,
 *   digits, '-' and ':' (all of hactl's and its plugins') the collation order
 *   is the code-point order; any other id still goes through localeCompare.
 * - at load it checks the running Node against the engines of the package.json
 *   beside oclif's lib/, which in the bundle is not there: the lookup fails
 *   and the error is swallowed. hactl's own engines are npm's to check.
 */
/**
 * zod's index of its ~60 locales requires every one of them when it loads,
 * though a run uses English only (zod sets it up from its own file): each
 * locale is required when first read from `z.locales` instead. The build
 * fails if the index no longer has the shape rewritten here.
 */
const ZOD_LOCALES = /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.cjs$/
function lazyZodLocales(text) {
  const eager = /^var (\w+)_js_1 = require\("(\.\/[\w-]+\.cjs)"\);\nObject\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return __importDefault\(\1_js_1\)\.default; \} \}\);$/gm
  let count = 0
  const lazy = text.replaceAll(eager, (_, _name, file, exported) => {
    count++
    return `Object.defineProperty(exports, "${exported}", { enumerable: true, get: function () { return __importDefault(require("${file}")).default; } });`
  })
  if (count < 40 || /require\(/.test(lazy.replaceAll(/get: function \(\) \{ return __importDefault\(require\("[^"]+"\)\)\.default; \}/g, ''))) {
    throw new Error(`zod's locales/index.cjs no longer has the shape lazyZodLocales rewrites (${count} locales found): see scripts/build.mjs`)
  }
  return lazy
}

const OCLIF_PATCHES = {
  'config/plugin.js': [['.sort((a, b) => a.id.localeCompare(b.id));', '.sort((a, b) => (/^[a-z0-9:-]*$/.test(a.id + b.id) ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.id.localeCompare(b.id)));']],
  'index.js': [['\ncheckNodeVersion();\n', '\n']],
  // Every run asks whether it is on WSL through wsl-utils, which with
  // powershell-utils loads node:child_process (and with it net and dgram) to
  // answer from is-wsl, which it re-exports: is-wsl is asked directly.
  'util/os.js': [["return (await import('wsl-utils')).isWsl ? 'wsl'", "return (await import('is-wsl')).default ? 'wsl'"]],
}
/**
 * What the vendor build changes in the sources it bundles: oclif's lazy
 * requires and patches above, and every import() whose specifier is not a
 * literal (oclif importing command files, lilconfig, ts-path): a script
 * compiled by node:vm cannot run import() itself without an experimental
 * flag, so those calls go through a function src/vendor-loader.ts passes in.
 */
const DYNAMIC_IMPORT = /\bimport\((?=\s*(?:\/\*[^*]*\*\/\s*)?[^\s'"`/)])/g
const vendorSource = {
  name: 'vendor-source',
  setup(b) {
    const requireLine = new RegExp(String.raw`^(\s*)(const|var|let) (\w+) = ((?:__importDefault\()?require\((["'])(${OCLIF_LAZY.join('|')})\5\)\)?);`, 'gm')
    b.onLoad({filter: /[\\/]node_modules[\\/].*\.c?js$/}, async (args) => {
      let text = await readFile(args.path, 'utf8')
      const original = text
      if (ZOD_LOCALES.test(args.path)) text = lazyZodLocales(text)
      const oclifLib = /[\\/]@oclif[\\/]core[\\/]lib[\\/]/.test(args.path)
      if (oclifLib) {
        const lib = args.path.split(/[\\/]@oclif[\\/]core[\\/]lib[\\/]/).pop().replaceAll('\\', '/')
        for (const [from, to] of OCLIF_PATCHES[lib] ?? []) {
          if (!text.includes(from)) throw new Error(`@oclif/core lib/${lib} no longer contains ${JSON.stringify(from)}: see OCLIF_PATCHES in scripts/build.mjs`)
          text = text.replace(from, to)
        }
        let lazy = false
        text = text.replace(requireLine, (_, indent, kind, name, expr) => {
          lazy = true
          return `${indent}${kind} ${name} = __hactlLazy(() => ${expr});`
        })
        if (lazy) text += `\n${LAZY_HELPER}`
      }
      text = text.replace(DYNAMIC_IMPORT, '__hactlImport(')
      return text === original ? undefined : {contents: text, loader: 'js'}
    })
  },
}

/**
 * `await import()` of a CommonJS package gives, in Node, its
 * module.exports as `default` plus each of its properties as a named export.
 * esbuild's code splitting gives only `default` there, so `const {lock} =
 * await import(...)` would get undefined. A bundled CommonJS package that is
 * imported dynamically goes through a small ES facade that names its exports
 * as Node would.
 */
const requireHere = createRequire(import.meta.url)
const cjsDynamicImports = {
  name: 'cjs-dynamic-imports',
  setup(b) {
    b.onResolve({filter: /^[^./]/}, (args) => {
      if (args.kind !== 'dynamic-import' || !BUNDLED.has(args.path)) return undefined
      return {path: args.path, namespace: 'cjs-facade'}
    })
    b.onLoad({filter: /.*/, namespace: 'cjs-facade'}, (args) => {
      const entry = requireHere.resolve(args.path, {paths: [ROOT]})
      const exported = requireHere(entry)
      const names = Object.keys(exported).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default')
      return {
        contents: `import m from ${JSON.stringify(entry)}\nexport default m\nexport const {${names.join(', ')}} = m\n`,
        resolveDir: ROOT,
        loader: 'js',
      }
    })
  },
}

/**
 * `import process from 'node:process'` (chalk, is-wsl, …) makes Node build an
 * ES facade of the process module, reading every property once, stdin among
 * them: that opens a stream on fd 0 and costs each run milliseconds. The
 * default export is the global process object itself, so it is taken from there.
 */
const processGlobal = {
  name: 'process-global',
  setup(b) {
    b.onResolve({filter: /^(node:)?process$/}, (args) => (args.kind === 'import-statement' ? {path: 'process', namespace: 'process-global'} : undefined))
    b.onLoad({filter: /.*/, namespace: 'process-global'}, () => ({contents: 'export default globalThis.process\n', loader: 'js'}))
  },
}

/**
 * @oclif/core, the largest part of every command's start-up (~730 kB of
 * bundled CommonJS), is built on its own into dist/vendor/oclif.cjs and loaded
 * through src/vendor-loader.ts with a V8 code cache written at build time:
 * Node 20 caches no compiled code for ES modules, and compiling oclif anew
 * was a sizeable share of every run. zod and yaml, which every command that
 * reads the cluster file loads (~1.2 MB), the same. Our code imports them
 * through a facade module that names their exports.
 */
const VENDOR = {'@oclif/core': 'oclif', zod: 'zod', yaml: 'yaml'}
const VENDOR_DIR = path.join(DIST, 'vendor')

/** What every CommonJS bundle loaded through node:vm shares (vendored packages and each command's own code). */
const CJS_BUNDLE = {bundle: true, format: 'cjs', platform: 'node', target: 'node20', sourcemap: 'linked', sourcesContent: false, logLevel: 'warning', legalComments: 'none'}

async function buildVendor() {
  for (const [pkg, name] of Object.entries(VENDOR)) {
    await build({
      stdin: {contents: `module.exports = require(${JSON.stringify(pkg)})`, resolveDir: ROOT, loader: 'js'},
      outfile: path.join(VENDOR_DIR, `${name}.cjs`),
      ...CJS_BUNDLE,
      external: ['typescript'],
      plugins: [vendorSource],
    })
    asciiOnly(path.join(VENDOR_DIR, `${name}.cjs`))
  }
}

/**
 * esbuild writes strings as ASCII but leaves other characters in comments and
 * regular expressions (an arrow in a comment, oclif's ANSI pattern). One such
 * character makes the whole file a two-byte string in V8 — twice the memory
 * to read, copy and scan for each run, for files of half a megabyte loaded by
 * every command. Escaped as \uXXXX they mean the same in a regular
 * expression, a string or a name, and nothing in a comment.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8')
  const ascii = text.replaceAll(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  if (ascii !== text) writeFileSync(file, ascii)
}

/** A resolver that sends our code's imports of a vendored package (not node_modules' own) to `namespace`. */
const vendorImport = (namespace) => (args) => {
  if (!(args.path in VENDOR) || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined
  return {path: args.path, namespace}
}

/** `import … from '@oclif/core'` in our code: a facade over dist/vendor/oclif.cjs (loaded with its code cache). */
const vendorFacades = {
  name: 'vendor-facades',
  setup(b) {
    b.onResolve({filter: /^[^./]/}, vendorImport('vendor-facade'))
    b.onLoad({filter: /.*/, namespace: 'vendor-facade'}, (args) => {
      const file = path.join(VENDOR_DIR, `${VENDOR[args.path]}.cjs`)
      const names = Object.keys(requireHere(file)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default')
      return {
        // The facade lands in a shared chunk (dist/chunks/): the vendor file is one folder up.
        contents: `import {loadVendor} from ${JSON.stringify(path.join(SRC, 'vendor-loader.ts'))}\nconst m = loadVendor(new URL(${JSON.stringify(`../vendor/${VENDOR[args.path]}.cjs`)}, import.meta.url))\nexport default m\nexport const {${names.join(', ')}} = m\n`,
        resolveDir: SRC,
        loader: 'js',
      }
    })
  },
}

rmSync(DIST, {recursive: true, force: true})
await buildVendor()
const result = await build({
  entryPoints,
  outbase: SRC,
  outdir: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Stack traces under --verbose map back to src/ (bin/run.js turns source maps on then).
  sourcemap: 'linked',
  sourcesContent: false,
  // oclif and its dependencies are CommonJS and call require(); give every ES chunk one.
  banner: {js: "import {createRequire as __hactlCreateRequire} from 'node:module'; const require = __hactlCreateRequire(import.meta.url);"},
  plugins: [vendorFacades, processGlobal, cjsDynamicImports, externalPackages],
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
})
// Each facade finds its vendor file one folder up from dist/chunks/; one used by a single entry lands in that entry's file.
for (const [out, {inputs}] of Object.entries(result.metafile.outputs)) {
  const file = path.resolve(ROOT, out)
  if (!out.endsWith('.js') || !Object.keys(inputs).some((i) => i.startsWith('vendor-facade:')) || path.dirname(file) === path.join(DIST, 'chunks')) continue
  const up = path.relative(path.dirname(file), DIST).replaceAll(path.sep, '/') || '.'
  const text = readFileSync(file, 'utf8')
  const fixed = text.replaceAll('"../vendor/', `"${up}/vendor/`)
  if (!fixed.includes(`"${up}/vendor/`)) throw new Error(`${out}: its vendor facade's path was not found to correct`)
  writeFileSync(file, fixed)
}

/**
 * Our own code, one CommonJS bundle per command (dist/own/commands/…/NAME.cjs),
 * loaded by src/vendor-loader.ts (loadOwn) through node:vm with a V8 code
 * cache, like the vendor files: as ~30 ES modules (the shared chunks of an
 * ES build), each was resolved, read and compiled anew by every run, and Node
 * 20 keeps no code cache for ES modules. A bundle holds everything its command
 * reaches (the code the commands share is in each of them); oclif, zod and yaml
 * come from the vendor files through `__hactlVendor`, shared with cli.js.
 * oclif imports dist/commands/…/NAME.js, an ES module of two lines that loads
 * the bundle (writeCommandModules).
 */
const OWN_DIR = path.join(DIST, 'own')
const OWN_BANNER = [
  // The ES sources were strict; the bundle stays so (esbuild's own directive comes after this banner).
  '"use strict";',
  // import.meta.url of the ES sources: the bundle's own URL.
  'var __hactlMetaUrl = require("node:url").pathToFileURL(__filename).href;',
  // Under node:vm the loader passes import() in (see rewriteDynamicImports); under Node's require (--verbose) it is the language's own.
  'var __hactlImport = typeof __hactlImport === "function" ? __hactlImport : (s) => import(s);',
  // What import() gives for a CommonJS package: its exports by name, and as default.
  'var __hactlNamespace = (m) => ({...m, default: m});',
].join('\n')

const ownVendor = {
  name: 'own-vendor',
  setup(b) {
    b.onResolve({filter: /^[^./]/}, vendorImport('own-vendor'))
    b.onLoad({filter: /.*/, namespace: 'own-vendor'}, (args) => ({contents: `module.exports = __hactlVendor(${JSON.stringify(VENDOR[args.path])})`, loader: 'js'}))
  },
}

/**
 * import() of a package left external: a script compiled by node:vm cannot
 * call import() itself, so it goes through `__hactlImport` (the loader's),
 * except for Node's built-ins and the packages the bundle also requires
 * statically (CommonJS ones: ssh2, the AWS SDK clients): those are required,
 * so that a run never holds two copies of one package, one from each of its
 * builds. Any other import() (relative, not a literal) would have been bundled
 * or is refused here.
 */
function rewriteDynamicImports(file) {
  const text = readFileSync(file, 'utf8')
  const required = new Set([...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))
  const out = text.replaceAll(/\bimport\(([^)]*)\)/g, (whole, arg, offset) => {
    if (offset < OWN_BANNER.length + 20 && text.slice(0, offset).includes('__hactlImport ===')) return whole
    const literal = /^"([^"./][^"]*)"$/.exec(arg)
    if (!literal) throw new Error(`${path.relative(ROOT, file)}: import(${arg}) left in the bundle: only packages may be imported at run time`)
    const spec = literal[1]
    return spec.startsWith('node:') || required.has(spec) ? `Promise.resolve().then(() => __hactlNamespace(require(${arg})))` : `__hactlImport(${arg})`
  })
  if (out !== text) writeFileSync(file, out)
}

async function buildOwn() {
  const result = await build({
    entryPoints: commandFiles,
    outbase: SRC,
    outdir: OWN_DIR,
    outExtension: {'.js': '.cjs'},
    ...CJS_BUNDLE,
    banner: {js: OWN_BANNER},
    define: {'import.meta.url': '__hactlMetaUrl'},
    plugins: [ownVendor, externalPackages],
    metafile: true,
  })
  for (const out of Object.keys(result.metafile.outputs)) {
    if (!out.endsWith('.cjs')) continue
    rewriteDynamicImports(path.resolve(ROOT, out))
    asciiOnly(path.resolve(ROOT, out))
  }
}

/** dist/commands/…/NAME.js, where oclif.manifest.json points: the command's bundle, loaded with its code cache. */
function writeCommandModules() {
  for (const source of commandFiles) {
    const relative = path.relative(SRC, source).replace(/\.ts$/, '')
    const file = path.join(DIST, `${relative}.js`)
    const up = path.relative(path.dirname(file), DIST).replaceAll(path.sep, '/')
    const own = `${up}/own/${relative.replaceAll(path.sep, '/')}.cjs`
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(
      file,
      `import {loadOwn} from ${JSON.stringify(`${up}/vendor-loader.js`)}\nexport default loadOwn(new URL(${JSON.stringify(own)}, import.meta.url), new URL(${JSON.stringify(`${up}/vendor/`)}, import.meta.url)).default\n`,
    )
  }
}

await buildOwn()
writeCommandModules()
// `--metafile FILE` keeps what went into each output, for a look at what a command loads (e.g. esbuild's analyzer).
const at = process.argv.indexOf('--metafile')
if (at > 0) writeFileSync(process.argv[at + 1], JSON.stringify(result.metafile))
