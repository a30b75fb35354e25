import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {haproxyEngine} from '../../../../src/proxy-config/haproxy/engine.js'
import {applyEdit, type ConfigEdit} from '../../../../src/services/config-edit.js'
import {ROOT} from '../../../harness/cli.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'haproxy')

/** The edit that undoes `edit` once it was applied and said what it touched. */
function undo(edit: ConfigEdit, server?: string): ConfigEdit | undefined {
  if (edit.op === 'add-server' && !edit.spec.create) return {op: 'remove-server', backend: edit.spec.backend, server: server!}
  if (edit.op === 'add-route' && !edit.spec.create) return {op: 'remove-route', spec: edit.spec}
  if (edit.op === 'add-tls') return {op: 'remove-tls', spec: {name: edit.spec.name, remaining: []}}
  if (edit.op === 'set-affinity' && edit.spec.mode !== 'off') return {op: 'set-affinity', spec: {...edit.spec, mode: 'off'}}
  return undefined
}

describe('haproxy engine: fixtures (test/fixtures/haproxy/<case>/{input,edit,expected})', () => {
  for (const name of readdirSync(FIXTURES).sort()) {
    const read = (f: string): string => readFileSync(path.join(FIXTURES, name, f), 'latin1')
    const input = read('input')
    const edit = JSON.parse(read('edit')) as ConfigEdit

    it(`${name}: the input round-trips byte for byte`, () => {
      expect(haproxyEngine.parse(input, 'input').serialize()).to.equal(input)
    })

    it(`${name}: the edit gives the expected bytes`, () => {
      const doc = haproxyEngine.parse(input, 'input')
      const outcome = applyEdit(haproxyEngine, doc, edit)
      expect(outcome.changed).to.equal(true)
      expect(doc.serialize()).to.equal(read('expected'))
    })

    it(`${name}: applying the edit again changes nothing`, () => {
      const doc = haproxyEngine.parse(read('expected'), 'expected')
      expect(applyEdit(haproxyEngine, doc, edit).changed).to.equal(false)
      expect(doc.serialize()).to.equal(read('expected'))
    })

    const first = applyEdit(haproxyEngine, haproxyEngine.parse(input, 'input'), edit)
    const back = undo(edit, first.server?.name)
    if (back) {
      it(`${name}: undoing the edit gives back the input`, () => {
        const doc = haproxyEngine.parse(read('expected'), 'expected')
        expect(applyEdit(haproxyEngine, doc, back).changed).to.equal(true)
        expect(doc.serialize()).to.equal(input)
      })
    }
  }
})

describe('haproxy engine: server states', () => {
  const text = 'backend web\n    server web1 10.0.0.1:80 check weight 20   # primary\n    server web2 10.0.0.2:80\n'

  for (const state of ['drain', 'disabled'] as const) {
    it(`${state} then enable gives back the original line`, () => {
      const doc = haproxyEngine.parse(text, 'h.cfg')
      haproxyEngine.setServerState(doc, 'web', 'web1', state)
      expect(haproxyEngine.listBackends(doc)[0].servers[0].state).to.equal(state)
      haproxyEngine.setServerState(doc, 'web', 'web1', 'enabled')
      expect(doc.serialize()).to.equal(text)
    })
  }

  it('drain is written as weight 0 and listed with weight 0', () => {
    const doc = haproxyEngine.parse(text, 'h.cfg')
    haproxyEngine.setServerState(doc, 'web', '10.0.0.2:80', 'drain')
    const web2 = haproxyEngine.listBackends(doc)[0].servers[1]
    expect(web2).to.include({state: 'drain', weight: 0})
    expect(doc.serialize()).to.include('server web2 10.0.0.2:80 weight 0\n')
  })

  it('a server-template line is listed but its state is not rewritten', () => {
    const doc = haproxyEngine.parse('backend web\n    server-template srv 3 web.internal:80 check\n', 'h.cfg')
    expect(haproxyEngine.listBackends(doc)[0].servers[0]).to.include({name: 'srv[1-3]', address: 'web.internal', port: 80, line: 2})
    expect(() => haproxyEngine.setServerState(doc, 'web', 'srv[1-3]', 'drain')).to.throw(/server-template line/)
  })
})
