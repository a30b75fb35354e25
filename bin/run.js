#!/usr/bin/env node
// `hactl --version` is asked by scripts and health checks many times a day:
// answer it without loading oclif (same text as oclif's own version output).
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`hactl/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // dist/ is a bundle: with --verbose, stack traces are mapped back to src/
  // through its source maps (turned on before any of it loads; off otherwise,
  // as reading the maps would cost every run its start-up).
  if (process.argv.some((arg) => arg === '--verbose' || /^-[a-zA-Z]*v[a-zA-Z]*$/.test(arg))) process.setSourceMapsEnabled(true)
  const {main} = await import('../dist/cli.js')
  await main(import.meta.url)
}
