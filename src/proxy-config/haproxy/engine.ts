/** The HAProxy engine: lossless parse, semantic edits, and `haproxy -c` validation. */
import path from 'node:path'

import {runBinaryCheck} from '../binary-check.js'
import type {Engine} from '../engine.js'
import {addServer, addServers, listBackends, removeServer, removeServers, setServerState} from './backends.js'
import {HaproxyDocument} from './document.js'
import {addRoute, listRoutes, removeRoute} from './routes.js'

const HAPROXY_SECTIONS = /^[ \t]*(global|defaults|frontend|backend|listen)\b/m
const HAPROXY_WORDS = /^[ \t]*(server|bind|default_backend|use_backend|balance|timeout)[ \t]/m

export const haproxyEngine: Engine<HaproxyDocument> = {
  name: 'haproxy',

  detect(file, text) {
    const base = path.basename(file).toLowerCase()
    let score = 0
    if (HAPROXY_SECTIONS.test(text)) score += 0.5
    if (HAPROXY_WORDS.test(text)) score += 0.2
    if (base.includes('haproxy')) score += 0.3
    else if (base.endsWith('.cfg')) score += 0.1
    return Math.min(score, 1)
  },

  parse: (text, file) => HaproxyDocument.parse(text, file),
  listBackends,
  addServer,
  removeServer,
  addServers,
  removeServers,
  setServerState,
  listRoutes,
  addRoute,
  removeRoute,

  async validate(text, options) {
    const structural = {ok: true, validator: 'structural', output: ''}
    if (options.structuralOnly) return structural
    HaproxyDocument.parse(text, options.file)
    const checked = await runBinaryCheck({command: 'haproxy', args: (p) => ['-c', '-f', p], validator: 'haproxy -c'}, text, options.file)
    if (!checked) return {...structural, output: 'haproxy is not installed here: only the syntax was checked'}
    // A file with no listener is sound (fragments, backends-only files); haproxy -c still exits 2 for it.
    if (!checked.ok && /Configuration file has no error but will not start/.test(checked.output)) return {...checked, ok: true}
    return checked
  },
}
