/**
 * Validating perlbal text. Structural checks first (pools created before
 * use, node addresses, SET inside a CREATE, ENABLE of a known service).
 * Then, when the perlbal binary is here, a real start: the config is
 * rewritten so every service listens on a free loopback port, every pool
 * node points at a closed loopback port and node files are empty — so the
 * trial run can reach nothing but this machine's loopback — and certificate
 * paths in a `hactl-tls/` folder point at the folder given beside the text;
 * it must come up and answer before it is stopped.
 */
import {spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createConnection, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {findBinary} from '../binary.js'
import type {ValidateOptions, ValidationResult} from '../engine.js'
import {parseEndpoint} from '../endpoint.js'
import {joinLines} from '../lines.js'
import {parsePerlbal, type PerlbalDocument, readModel} from './document.js'
import {poll} from '../../util/poll.js'

const KNOWN = new Set(['CREATE', 'POOL', 'SET', 'ENABLE', 'DISABLE', 'DEFAULT', 'LOAD', 'VHOST', 'VPATH', 'SERVER', 'XS', 'HEADER', 'USE', 'NODEFILE'])

export function structuralProblems(doc: PerlbalDocument): {line: number; message: string}[] {
  const problems: {line: number; message: string}[] = []
  const model = readModel(doc)
  const created = new Set(model.pools.filter((p) => p.index >= 0).map((p) => p.name))
  const services = new Set(model.services.map((s) => s.name))
  let context = false
  for (const {index, words} of model.commands) {
    const line = index + 1
    const upper = words.map((w) => w.value.toUpperCase())
    if (!KNOWN.has(upper[0])) problems.push({line, message: `unknown command "${words[0].value}"`})
    if (upper[0] === 'CREATE') {
      if (!['POOL', 'SERVICE'].includes(upper[1] ?? '') || !words[2]) problems.push({line, message: 'CREATE needs POOL or SERVICE and a name'})
      context = true
    }
    if (upper[0] === 'SET' && !context && !/^SET\s+\S+\./i.test(words.map((w) => w.value).join(' '))) problems.push({line, message: 'SET before any CREATE POOL or CREATE SERVICE'})
    if (upper[0] === 'SET' && !words.some((w) => w.value.includes('='))) problems.push({line, message: 'SET needs "key = value"'})
    if (upper[0] === 'POOL' && ['ADD', 'REMOVE'].includes(upper[2] ?? '')) {
      if (!created.has(words[1].value)) problems.push({line, message: `pool ${words[1].value} is used before CREATE POOL ${words[1].value}`})
      const endpoint = parseEndpoint(words[3]?.value ?? '')
      if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(endpoint.address) || (endpoint.port !== undefined && (endpoint.port < 1 || endpoint.port > 65_535))) {
        problems.push({line, message: `"${words[3]?.value ?? ''}" is not an ip:port perlbal accepts`})
      }
    }
    if (upper[0] === 'ENABLE' && words[1] && !services.has(words[1].value)) problems.push({line, message: `ENABLE of unknown service ${words[1].value}`})
  }
  return problems
}

export async function validatePerlbal(text: string, options: ValidateOptions): Promise<ValidationResult> {
  const doc = parsePerlbal(text, options.file)
  const problems = structuralProblems(doc)
  if (problems.length > 0) {
    return {ok: false, validator: 'structural', output: problems.map((p) => `${options.file}:${p.line}: ${p.message}`).join('\n'), line: problems[0].line}
  }
  const binary = options.structuralOnly ? undefined : findBinary('perlbal')
  if (!binary) return {ok: true, validator: 'structural', output: 'perlbal is not installed here: checked the structure only'}
  return trialRun(binary, doc, options.companions ?? {})
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** The config with every address swapped for loopback ones; returns the ports services will listen on. */
async function loopbackCopy(doc: PerlbalDocument, dir: string, companions: Record<string, string>): Promise<{text: string; listens: {port: number; role: string}[]}> {
  const lines = doc.lines.map((l) => ({...l}))
  const listens: {port: number; role: string}[] = []
  const model = readModel(doc)
  const closed = await freeLoopbackPort()
  const emptyNodes = path.join(dir, 'nodes.dat')
  await writeFile(emptyNodes, '')
  for (const {index, words} of model.commands) {
    const upper = words.map((w) => w.value.toUpperCase())
    const line = lines[index]
    if (upper[0] === 'SET' && /^(\S+\.)?listen$/i.test(words[1]?.value ?? '')) {
      const port = await freeLoopbackPort()
      const service = model.services.filter((s) => s.index < index).at(-1)
      listens.push({port, role: service?.settings.get('role') ?? ''})
      line.text = `${line.text.slice(0, line.text.indexOf('=') + 1)} 127.0.0.1:${port}`
    } else if (upper[0] === 'SET' && /^(\S+\.)?nodefile$/i.test(words[1]?.value ?? '')) {
      line.text = `${line.text.slice(0, line.text.indexOf('=') + 1)} ${emptyNodes}`
    } else if (upper[0] === 'SET' && /^(\S+\.)?ssl_(key|cert)_file$/i.test(words[1]?.value ?? '')) {
      // The hosts' absolute path (…/hactl-tls/NAME.pem) read from the folder the validator is given.
      const written = line.text.slice(line.text.indexOf('=') + 1).trim()
      const local = companionPath(written, companions)
      if (local !== undefined) line.text = `${line.text.slice(0, line.text.indexOf('=') + 1)} ${local}`
    } else if (upper[0] === 'POOL' && upper[2] === 'ADD' && words[3]) {
      line.text = line.text.slice(0, words[3].start) + `127.0.0.1:${closed}` + line.text.slice(words[3].end)
    }
  }
  return {text: joinLines(lines), listens}
}

/** `…/NAME/file` → the companion folder NAME's `file`, for the folders the validator is given. */
function companionPath(written: string, companions: Record<string, string>): string | undefined {
  const parts = written.split('/')
  const folder = parts.at(-2)
  return parts.length >= 3 && folder !== undefined && companions[folder] !== undefined ? path.join(companions[folder], parts.at(-1)!) : undefined
}

/** A management service must answer a command; any other service must accept the connection (its backends are unreachable on purpose). */
async function answers(port: number, management: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host: '127.0.0.1', port})
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => (management ? socket.write('show service\r\n') : done(true)))
    socket.once('data', () => done(true))
  })
}

async function trialRun(binary: string, doc: PerlbalDocument, companions: Record<string, string>): Promise<ValidationResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-perlbal-'))
  const validator = 'perlbal (trial start on loopback)'
  try {
    const {text, listens} = await loopbackCopy(doc, dir, companions)
    const conf = path.join(dir, 'perlbal.conf')
    await writeFile(conf, text, 'latin1')
    const child = spawn(binary, [`--config=${conf}`], {stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString('latin1')))
    child.stderr.on('data', (d: Buffer) => (output += d.toString('latin1')))
    let exited = false
    const exit = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true
        resolve()
      }),
    )
    try {
      const deadline = Date.now() + 10_000
      for (const listen of listens) {
        const up = await poll(async () => exited || (await answers(listen.port, listen.role === 'management')), (ok) => ok, {timeoutMs: Math.max(0, deadline - Date.now()), delayMs: 100})
        if (exited) break
        if (!up.done) return {ok: false, validator, output: `perlbal did not answer on its ${listen.role || 'first'} service within 10 s\n${output}`.trim()}
      }
      // With nothing to probe, give a failing start the moment it needs to exit.
      if (listens.length === 0) await Promise.race([exit, new Promise((r) => setTimeout(r, 1500))])
      if (exited) {
        const line = /line (\d+)/.exec(output)?.[1]
        return {ok: false, validator, output: `perlbal refused the config: ${output.trim() || 'it exited at start'}`, line: line === undefined ? undefined : Number(line)}
      }
      return {ok: true, validator, output: `perlbal started with this config and answered on ${listens.length} loopback port(s)`}
    } finally {
      if (!exited) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exit
        clearTimeout(timer)
      }
    }
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
