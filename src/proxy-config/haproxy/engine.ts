/** The HAProxy engine: lossless parse, semantic edits, and `haproxy -c` validation. */
import {runBinaryCheck} from '../binary-check.js'
import type {Engine} from '../engine.js'
import {addServer, addServers, listBackends, removeServer, removeServers, setServerState} from './backends.js'
import {setAffinity} from './affinity-edit.js'
import {HaproxyDocument} from './document.js'
import {addRoute, listRoutes, removeRoute} from './routes.js'
import {addTls, listTls, removeTls} from './tls.js'

export const haproxyEngine: Engine<HaproxyDocument> = {
  name: 'haproxy',

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
  tls: {addTls, removeTls, listTls},
  setAffinity,

  async validate(text, options) {
    const structural = {ok: true, validator: 'structural', output: ''}
    if (options.structuralOnly) return structural
    HaproxyDocument.parse(text, options.file)
    const checked = await runBinaryCheck({command: 'haproxy', args: (p) => ['-c', '-f', p], validator: 'haproxy -c'}, text, options.file, options.companions)
    if (!checked) return {...structural, output: 'haproxy is not installed here: only the syntax was checked'}
    // A file with no listener is sound (fragments, backends-only files); haproxy -c still exits 2 for it.
    if (!checked.ok && /Configuration file has no error but will not start/.test(checked.output)) return {...checked, ok: true}
    return checked
  },
}
