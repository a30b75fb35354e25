import {expect} from 'chai'

import {ConfigError, HactlError} from '../../../../src/errors.js'
import {haproxyEngine} from '../../../../src/proxy-config/haproxy/engine.js'

function parseError(text: string): HactlError {
  try {
    haproxyEngine.parse(text, 'h.cfg')
  } catch (error) {
    expect(error).to.be.instanceOf(HactlError)
    return error as HactlError
  }
  expect.fail('parse accepted the text')
}

describe('haproxy engine: input it refuses', () => {
  it('an unterminated double quote is reported at file:line:col', () => {
    const error = parseError('backend web\n    http-request set-header X "oops\n    server a 1.2.3.4:80\n')
    expect(error).to.be.instanceOf(ConfigError)
    expect(error.exitCode).to.equal(2)
    expect(error.located).to.match(/^h\.cfg:2:31: unterminated quote/)
  })

  it('an unterminated single quote is reported', () => {
    expect(parseError("frontend f\n  bind :80\n  acl x path_beg '/a\n").located).to.match(/^h\.cfg:3:\d+: unterminated quote/)
  })

  it('a server line in a frontend is reported with its line', () => {
    const error = parseError('frontend www\n    bind :80\n    server web1 10.0.0.1:80\n')
    expect(error.located).to.equal("h.cfg:3:5: 'server' is only allowed in a backend or listen section, not in a frontend section")
  })

  it('a server line before any section is reported', () => {
    expect(parseError('server web1 10.0.0.1:80\n').located).to.match(/^h\.cfg:1:1: .* not in no section/)
  })

  it('every bad line is reported at once', () => {
    const error = parseError('backend a\n  x "1\n  y "2\n')
    expect(error.message.split('\n')).to.have.length(2)
  })

  it('quotes, escapes and ${ENV} that are closed are fine, and a # inside quotes is not a comment', () => {
    const doc = haproxyEngine.parse('backend web\n  http-request set-var(txn.x) str("a # b \\" c") # real\n  server s1 ${HOST}:80\n', 'h.cfg')
    const line = doc.lines[1]
    expect(line.words.map((w) => w.value)).to.deep.equal(['http-request', 'set-var(txn.x)', 'str(a # b " c)'])
    expect(line.text.slice(line.commentAt)).to.equal('# real')
    expect(haproxyEngine.listBackends(doc)[0].servers[0]).to.include({address: '${HOST}', port: 80})
  })

  it('names HAProxy refuses are refused before anything is written', () => {
    const doc = haproxyEngine.parse('backend web\n  server a 1.2.3.4:80\n', 'h.cfg')
    expect(() => haproxyEngine.addServer(doc, {backend: 'web', address: '1.2.3.5', port: 80, name: 'bad/name'})).to.throw(/characters HAProxy refuses/)
    expect(() => haproxyEngine.addServer(doc, {backend: 'nope', address: '1.2.3.5', port: 80})).to.throw(/no backend "nope"/)
  })
})
