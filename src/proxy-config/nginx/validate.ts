/**
 * Validating nginx text: the real `nginx -t` on a temp copy when the binary
 * is here, with a temp prefix so it writes its pid and logs there. A file
 * without `events`/`http`/`stream` is a fragment (a sites-available file, an
 * upstream list) and is checked inside a minimal `events {} http {}` that
 * includes it, as nginx would include it. Without the binary: structural.
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {isHactlError} from '../../errors.js'
import {linkCompanions} from '../binary-check.js'
import {findBinary, run} from '../binary.js'
import type {ValidateOptions, ValidationResult} from '../engine.js'
import {directiveName, isDirective, type NginxDocument, parseNginx, walk} from './document.js'
import {upstreams} from './model.js'

const MAIN_CONTEXT = new Set(['events', 'http', 'stream'])

export interface NginxTestOptions extends ValidateOptions {
  /** Run nginx under this command (tests pass `unshare -n` so host lookups never leave the machine). */
  wrapper?: string[]
}

export async function validateNginx(text: string, options: NginxTestOptions): Promise<ValidationResult> {
  let doc: NginxDocument
  try {
    doc = parseNginx(text, options.file)
  } catch (error) {
    if (!isHactlError(error)) throw error
    return {ok: false, validator: 'structural', output: error.located, line: error.location?.line}
  }
  const binary = options.structuralOnly ? undefined : findBinary('nginx')
  if (!binary) return structural(doc)
  return nginxTest(binary, doc, text, options)
}

function structural(doc: NginxDocument): ValidationResult {
  for (const upstream of upstreams(doc)) {
    if (upstream.servers.length === 0) {
      return {ok: false, validator: 'structural', output: `${doc.file}:${upstream.visit.line}: upstream ${upstream.name} has no servers`, line: upstream.visit.line}
    }
  }
  for (const visit of walk(doc)) {
    if (directiveName(visit.directive) === 'server' && !visit.directive.block && directiveName(visit.parents.at(-1) ?? visit.directive) !== 'upstream') {
      return {ok: false, validator: 'structural', output: `${doc.file}:${visit.line}: a server line outside an upstream block`, line: visit.line}
    }
  }
  return {ok: true, validator: 'structural', output: 'nginx is not installed here: checked the structure only (balanced blocks, quotes, upstream servers)'}
}

async function nginxTest(binary: string, doc: NginxDocument, text: string, options: NginxTestOptions): Promise<ValidationResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-nginx-'))
  try {
    const copy = path.join(dir, path.basename(options.file) || 'nginx.conf')
    await linkCompanions(dir, options.companions ?? {})
    await writeFile(copy, text, 'latin1')
    const topLevel = doc.root.items.filter(isDirective).map(directiveName)
    const fragment = !topLevel.some((n) => MAIN_CONTEXT.has(n))
    let conf = copy
    if (fragment) {
      conf = path.join(dir, 'hactl-main.conf')
      await writeFile(conf, `events {}\nhttp {\n    include ${JSON.stringify(copy)};\n}\n`)
    }
    const globals = [...(topLevel.includes('pid') ? [] : [`pid ${path.join(dir, 'nginx.pid')};`]), `error_log ${path.join(dir, 'error.log')};`]
    const [command, ...prefix] = [...(options.wrapper ?? []), binary]
    const result = await run(command, [...prefix, '-t', '-q', '-p', `${dir}/`, '-c', conf, '-g', globals.join(' ')])
    const output = result.output
      .split(conf)
      .join(options.file)
      .split(copy)
      .join(options.file)
      .split(`${dir}/`)
      .join('')
      .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /gm, 'nginx: $1 ')
    const line = new RegExp(`in ${escapeRegExp(options.file)}:(\\d+)`).exec(output)?.[1]
    return {
      ok: result.code === 0,
      validator: fragment ? 'nginx -t (fragment inside http {})' : 'nginx -t',
      output: output || 'nginx -t: syntax is ok, test is successful',
      line: line === undefined ? undefined : Number(line),
    }
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
