import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {isHactlError} from '../../../src/errors.js'
import type {ConfigDocument, Engine} from '../../../src/proxy-config/engine.js'
import {nginxEngine} from '../../../src/proxy-config/nginx/engine.js'
import {perlbalEngine} from '../../../src/proxy-config/perlbal/engine.js'
import {poundEngine} from '../../../src/proxy-config/pound/engine.js'
import {ROOT} from '../../harness/cli.js'

/**
 * test/fixtures/<engine>/<case>/: `input` (bytes), `edit` ({op, args}: an
 * engine method and its arguments after the document) and either `expected`
 * (the bytes after the edit) or `error` (the file:line message the user sees).
 * HACTL_UPDATE_FIXTURES=1 writes the golden files for new cases.
 */
const engines: Record<string, Engine> = {nginx: nginxEngine as Engine, pound: poundEngine as Engine, perlbal: perlbalEngine as Engine}
const FIXTURES = path.join(ROOT, 'test', 'fixtures')

type Method = (doc: ConfigDocument, ...args: unknown[]) => unknown

function run(engine: Engine, input: string, op: string, args: unknown[]): {text?: string; error?: string} {
  try {
    const doc = engine.parse(input, 'input')
    // `tls.addTls`: a method of one of the engine's parts.
    const [part, method] = op.includes('.') ? op.split('.') : [undefined, op]
    const owner = (part ? engine[part as keyof Engine] : engine) as unknown as Record<string, Method>
    owner[method].call(owner, doc, ...args)
    return {text: doc.serialize()}
  } catch (error) {
    if (!isHactlError(error)) throw error
    return {error: `${error.located}\n`}
  }
}

for (const [name, engine] of Object.entries(engines)) {
  describe(`${name} fixtures`, () => {
    const dir = path.join(FIXTURES, name)
    for (const fixture of readdirSync(dir).sort()) {
      const folder = path.join(dir, fixture)
      const {op, args} = JSON.parse(readFileSync(path.join(folder, 'edit'), 'utf8')) as {op: string; args: unknown[]}
      it(`${fixture}: ${op}`, () => {
        const input = readFileSync(path.join(folder, 'input'), 'latin1')
        const result = run(engine, input, op, args)
        const golden = path.join(folder, result.error === undefined ? 'expected' : 'error')
        if (process.env.HACTL_UPDATE_FIXTURES === '1' && !existsSync(golden)) writeFileSync(golden, result.error ?? result.text ?? '', 'latin1')
        expect(result.error ?? result.text).to.equal(readFileSync(golden, 'latin1'))
      })
    }
  })
}
