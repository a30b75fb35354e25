import {expect} from 'chai'

import {isHactlError} from '../../../src/errors.js'
import {findBinary} from '../../../src/proxy-config/binary.js'
import type {AffinitySpec, ConfigDocument, Engine} from '../../../src/proxy-config/engine.js'
import {haproxyEngine} from '../../../src/proxy-config/haproxy/engine.js'
import {nginxEngine} from '../../../src/proxy-config/nginx/engine.js'
import {perlbalEngine} from '../../../src/proxy-config/perlbal/engine.js'
import {poundEngine} from '../../../src/proxy-config/pound/engine.js'

const HAPROXY = `global
    log stdout format raw local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind 127.0.0.1:18087
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /healthz
    server web1 127.0.0.1:9001 check
    server web2 127.0.0.1:9002 check weight 20   # second
`

const NGINX = `upstream web {
    server 127.0.0.1:9001 max_fails=3;
    server 127.0.0.1:9002 max_fails=3;
    keepalive 8;
}
server {
    listen 127.0.0.1:8089;
    location / { proxy_pass http://web; }
}
`

const POUND = `ListenHTTP
    Address 127.0.0.1
    Port 8088
    Service "web"
        BackEnd
            Address 127.0.0.1
            Port 9001
        End
        BackEnd
            Address 127.0.0.1
            Port 9002
        End
    End
End
`

const cases: {engine: Engine; text: string; validator: string | undefined}[] = [
  {engine: haproxyEngine as Engine, text: HAPROXY, validator: findBinary('haproxy') ? 'haproxy -c' : undefined},
  {engine: nginxEngine as Engine, text: NGINX, validator: findBinary('nginx') ? 'nginx -t' : undefined},
  {engine: poundEngine as Engine, text: POUND, validator: undefined},
]

function edit(engine: Engine, doc: ConfigDocument, spec: Omit<AffinitySpec, 'backend'>): {changed: boolean; summary: string} {
  return engine.setAffinity(doc, {backend: 'web', ...spec})
}

for (const {engine, text, validator} of cases) {
  describe(`backend affinity on ${engine.name}`, () => {
    for (const mode of ['cookie', 'source'] as const) {
      it(`${mode}: backend list shows it, again changes nothing, off gives back the original bytes`, async function () {
        this.timeout(20_000)
        const doc = engine.parse(text, 'in.conf')
        expect(engine.listBackends(doc)[0].affinity).to.deep.equal({mode: 'off'})
        expect(edit(engine, doc, {mode, cookie: mode === 'cookie' ? 'sid' : undefined}).changed).to.equal(true)
        const edited = doc.serialize()
        expect(engine.listBackends(doc)[0].affinity).to.deep.equal(mode === 'cookie' ? {mode, cookie: 'sid'} : {mode})
        const result = await engine.validate(edited, {file: 'in.conf'})
        expect(result.ok, result.output).to.equal(true)
        if (validator) expect(result.validator.startsWith(validator), result.validator).to.equal(true)
        expect(edit(engine, doc, {mode, cookie: mode === 'cookie' ? 'sid' : undefined}).changed).to.equal(false)
        expect(doc.serialize()).to.equal(edited)
        expect(edit(engine, doc, {mode: 'off'}).changed).to.equal(true)
        expect(doc.serialize()).to.equal(text)
        expect(edit(engine, doc, {mode: 'off'}).changed).to.equal(false)
      })
    }

    it('switching cookie → source → cookie leaves one mode at a time', () => {
      const doc = engine.parse(text, 'in.conf')
      edit(engine, doc, {mode: 'cookie'})
      edit(engine, doc, {mode: 'source'})
      expect(engine.listBackends(doc)[0].affinity).to.deep.equal({mode: 'source'})
      expect(doc.serialize()).not.to.match(/cookie/i)
      edit(engine, doc, {mode: 'cookie'})
      expect(engine.listBackends(doc)[0].affinity).to.deep.equal({mode: 'cookie', cookie: 'SERVERID'})
      expect(doc.serialize()).not.to.match(/balance source|ip_hash|Type IP/)
    })
  })
}

describe('backend affinity: what each engine writes', () => {
  it('haproxy cookie: the cookie line, option redispatch and a cookie per server, comments kept', () => {
    const doc = haproxyEngine.parse(HAPROXY, 'h.cfg')
    haproxyEngine.setAffinity(doc, {backend: 'web', mode: 'cookie', cookie: 'sid'})
    const out = doc.serialize()
    expect(out).to.include('    balance roundrobin\n    cookie sid insert indirect nocache\n    option redispatch\n')
    expect(out).to.include('server web1 127.0.0.1:9001 check cookie web1\n')
    expect(out).to.include('server web2 127.0.0.1:9002 check weight 20 cookie web2   # second\n')
  })

  it('haproxy: a server added under cookie affinity gets a cookie of its own, unique in the backend', () => {
    const doc = haproxyEngine.parse(HAPROXY.replace('check weight 20', 'check weight 20 cookie web3'), 'h.cfg')
    haproxyEngine.setAffinity(doc, {backend: 'web', mode: 'cookie'})
    haproxyEngine.addServer(doc, {backend: 'web', address: '127.0.0.1', port: 9003, name: 'web3'})
    haproxyEngine.addServers(doc, [
      {backend: 'web', address: '127.0.0.1', port: 9004, name: 'web4'},
      {backend: 'web', address: '127.0.0.1', port: 9005, name: 'web5'},
    ])
    const cookies = haproxyEngine.listBackends(doc)[0].servers.map((s) => s.options[s.options.indexOf('cookie') + 1])
    expect(cookies).to.deep.equal(['web1', 'web3', 'web3-2', 'web4', 'web5'])
  })

  it('haproxy source goes under the backend\'s own balance line, which it overrides', () => {
    const doc = haproxyEngine.parse(HAPROXY, 'h.cfg')
    haproxyEngine.setAffinity(doc, {backend: 'web', mode: 'source'})
    expect(doc.serialize()).to.equal(HAPROXY.replace('balance roundrobin\n', 'balance roundrobin\n    balance source\n'))
  })

  it('pound cookie: a Session block before the first back-end, indented like the file', () => {
    const doc = poundEngine.parse(POUND, 'p.cfg')
    poundEngine.setAffinity(doc, {backend: 'web', mode: 'cookie', cookie: 'JSESSIONID'})
    expect(doc.serialize()).to.include(`    Service "web"
        Session
            Type COOKIE
            ID "JSESSIONID"
            TTL 300
        End
        BackEnd
`)
  })

  it('a cookie name the engine cannot use is refused (exit 2), nothing changed', () => {
    for (const [engine, text, name] of [
      [haproxyEngine, HAPROXY, 'a;b'],
      [nginxEngine, NGINX, 'my-cookie'],
    ] as const) {
      const doc = (engine as Engine).parse(text, 'in.conf')
      expect(() => (engine as Engine).setAffinity(doc, {backend: 'web', mode: 'cookie', cookie: name})).to.throw(/cookie/)
      expect(doc.serialize()).to.equal(text)
    }
  })

  it('perlbal refuses cookie and source with exit 2 and names the engines that have affinity; off is a no-op', () => {
    const text = 'CREATE POOL web\n  POOL web ADD 127.0.0.1:9001\n'
    const doc = perlbalEngine.parse(text, 'perlbal.conf')
    for (const mode of ['cookie', 'source'] as const) {
      try {
        perlbalEngine.setAffinity(doc, {backend: 'web', mode})
        expect.fail('perlbal accepted affinity')
      } catch (error) {
        if (!isHactlError(error)) throw error
        expect(error.exitCode).to.equal(2)
        expect(error.message).to.match(/perlbal has no session affinity/)
        expect(error.actions.join(' ')).to.match(/haproxy.*nginx.*pound/)
      }
    }
    expect(perlbalEngine.setAffinity(doc, {backend: 'web', mode: 'off'}).changed).to.equal(false)
    expect(doc.serialize()).to.equal(text)
  })
})

describe('backend affinity: what hactl did not write', () => {
  it('haproxy: a stick table lists as other; off leaves it alone', () => {
    const text = HAPROXY.replace('    balance roundrobin\n', '    balance roundrobin\n    stick-table type ip size 1m expire 30m\n    stick on src\n')
    const doc = haproxyEngine.parse(text, 'h.cfg')
    expect(haproxyEngine.listBackends(doc)[0].affinity).to.deep.equal({mode: 'other'})
    expect(haproxyEngine.setAffinity(doc, {backend: 'web', mode: 'off'}).changed).to.equal(false)
    expect(doc.serialize()).to.equal(text)
  })

  it('an unknown backend is a usage error naming the ones there', () => {
    for (const [engine, text] of [
      [haproxyEngine, HAPROXY],
      [nginxEngine, NGINX],
      [poundEngine, POUND],
    ] as const) {
      const doc = (engine as Engine).parse(text, 'in.conf')
      expect(() => (engine as Engine).setAffinity(doc, {backend: 'nope', mode: 'cookie'})).to.throw(/nope/)
    }
  })
})
