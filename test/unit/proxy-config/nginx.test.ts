import {expect} from 'chai'

import {ConfigError} from '../../../src/errors.js'
import {DETECTORS} from '../../../src/proxy-config/detect.js'
import {nginxEngine as nginx} from '../../../src/proxy-config/nginx/engine.js'
import {thrown} from './helpers.js'

const conf = [
  'http {',
  '    upstream web {',
  '        server 10.0.0.1:8080 max_fails=3 fail_timeout=10s;',
  '        server 10.0.0.2:8080 max_fails=3 fail_timeout=10s weight=2;',
  '        keepalive 16;',
  '    }',
  '    server {',
  '        listen 80;',
  '        server_name www.example.com;',
  '        location / {',
  '            proxy_pass http://web;',
  '        }',
  '    }',
  '}',
  '',
].join('\n')

function edit(text: string, change: (doc: ReturnType<typeof nginx.parse>) => void): string {
  const doc = nginx.parse(text, 'nginx.conf')
  change(doc)
  return doc.serialize()
}


describe('nginx engine', () => {
  it('lists upstreams and their servers with options, weight, state and line', () => {
    const [web] = nginx.listBackends(nginx.parse(conf, 'nginx.conf'))
    expect(web).to.include({name: 'web', kind: 'upstream', line: 2})
    expect(web.servers[1]).to.deep.include({name: '10.0.0.2:8080', address: '10.0.0.2', port: 8080, weight: 2, state: 'enabled', backup: false, line: 4})
  })

  it('backend add copies the options every sibling shares, but not their weight', () => {
    const out = edit(conf, (doc) => nginx.addServer(doc, {backend: 'web', address: '10.0.0.3', port: 8080}))
    expect(out).to.include('        server 10.0.0.2:8080 max_fails=3 fail_timeout=10s weight=2;\n        server 10.0.0.3:8080 max_fails=3 fail_timeout=10s;\n')
  })

  it('backend add --no-check leaves out the passive health-check options', () => {
    const out = edit(conf, (doc) => nginx.addServer(doc, {backend: 'web', address: '10.0.0.3', port: 8080, check: false, weight: 5, backup: true}))
    expect(out).to.include('        server 10.0.0.3:8080 weight=5 backup;\n')
  })

  it('backend add keeps CRLF line endings and tab indentation', () => {
    const text = 'upstream app {\r\n\tserver\t127.0.0.1:9000;\r\n}\r\n'
    const out = edit(text, (doc) => nginx.addServer(doc, {backend: 'app', address: '127.0.0.1', port: 9001}))
    expect(out).to.equal('upstream app {\r\n\tserver\t127.0.0.1:9000;\r\n\tserver\t127.0.0.1:9001;\r\n}\r\n')
  })

  it('backend add --create puts a new upstream next to the others', () => {
    const out = edit(conf, (doc) => nginx.addServer(doc, {backend: 'api', address: '10.0.1.1', port: 9000, create: true}))
    expect(out).to.include('    }\n    upstream api {\n        server 10.0.1.1:9000;\n    }\n    server {')
  })

  it('refuses a server name, since nginx names servers by address', () => {
    expect(thrown(() => edit(conf, (doc) => nginx.addServer(doc, {backend: 'web', address: '10.0.0.3', port: 80, name: 'web3'}))).exitCode).to.equal(2)
  })

  it('names the upstreams there are when the backend is unknown', () => {
    const error = thrown(() => edit(conf, (doc) => nginx.addServer(doc, {backend: 'nope', address: '10.0.0.3', port: 80})))
    expect(error.exitCode).to.equal(2)
    expect(error.actions.join(' ')).to.include('web').and.include('--create')
  })

  it('disable writes down, enable takes it away again, and drain is down with a note', () => {
    const doc = nginx.parse(conf, 'nginx.conf')
    expect(nginx.setServerState(doc, 'web', '10.0.0.1:8080', 'disabled').changed).to.equal(true)
    expect(doc.serialize()).to.include('server 10.0.0.1:8080 max_fails=3 fail_timeout=10s down;')
    const drain = nginx.setServerState(doc, 'web', '10.0.0.1:8080', 'drain')
    expect(drain.changed).to.equal(false)
    expect(drain.summary).to.include('no drain')
    nginx.setServerState(doc, 'web', '10.0.0.1:8080', 'enabled')
    expect(doc.serialize()).to.equal(conf)
  })

  it('removes a server by address with its trailing comment, leaving other lines alone', () => {
    const text = 'upstream a {\n  server 10.0.0.1;  # primary\n  server 10.0.0.2;\n}\n'
    const out = edit(text, (doc) => nginx.removeServer(doc, 'a', '10.0.0.1:80'))
    expect(out).to.equal('upstream a {\n  server 10.0.0.2;\n}\n')
  })

  it('edits a one-line upstream on its line', () => {
    const text = 'upstream a { server 10.0.0.1:80; }\n'
    const doc = nginx.parse(text, 'x.conf')
    nginx.addServer(doc, {backend: 'a', address: '10.0.0.2', port: 80})
    expect(doc.serialize()).to.equal('upstream a { server 10.0.0.1:80; server 10.0.0.2:80; }\n')
    nginx.removeServer(doc, 'a', '10.0.0.2:80')
    expect(doc.serialize()).to.equal(text)
  })

  it('keeps a file without a final newline without one', () => {
    const text = 'upstream a {\n    server 10.0.0.1:80;\n}'
    const doc = nginx.parse(text, 'x.conf')
    nginx.addServer(doc, {backend: 'b', address: '10.0.0.2', port: 80, create: true})
    expect(doc.serialize()).to.equal('upstream a {\n    server 10.0.0.1:80;\n}\nupstream b {\n    server 10.0.0.2:80;\n}')
  })

  it('lists host and path routes to upstreams', () => {
    const text = conf.replace('        location / {', '        location /api/ {\n            proxy_pass http://web/v1/;\n        }\n        location / {')
    expect(nginx.listRoutes(nginx.parse(text, 'n.conf'))).to.deep.equal([
      {frontend: 'www.example.com', kind: 'path', match: '/api/', backend: 'web', line: 10},
      {frontend: 'www.example.com', kind: 'host', match: 'www.example.com', backend: 'web', line: 13},
    ])
  })

  it('route add --host makes a server block, and route remove takes it away byte for byte', () => {
    const doc = nginx.parse(conf, 'nginx.conf')
    const added = nginx.addRoute(doc, {kind: 'host', match: 'api.example.com', backend: 'web'})
    expect(added.changed).to.equal(true)
    expect(added.route).to.include({kind: 'host', match: 'api.example.com', backend: 'web'})
    expect(doc.serialize()).to.include('    server {\n        listen 80;\n        server_name api.example.com;\n        location / {\n            proxy_pass http://web;\n        }\n    }\n}\n')
    expect(nginx.addRoute(doc, {kind: 'host', match: 'api.example.com', backend: 'web'}).changed).to.equal(false)
    nginx.removeRoute(doc, {kind: 'host', match: 'api.example.com', backend: 'web'})
    expect(doc.serialize()).to.equal(conf)
  })

  it('route add --path adds a location in the only server block, and remove restores the file', () => {
    const doc = nginx.parse(conf, 'nginx.conf')
    nginx.addRoute(doc, {kind: 'path', match: '/static/', backend: 'web'})
    expect(doc.serialize()).to.include('        }\n        location /static/ {\n            proxy_pass http://web;\n        }\n    }\n')
    nginx.removeRoute(doc, {kind: 'path', match: '/static/', backend: 'web'})
    expect(doc.serialize()).to.equal(conf)
  })

  it('route add points an existing location at another upstream, keeping its scheme and path', () => {
    const text = conf.replace('http://web;', 'https://old/app/;').replace('    server {', '    upstream old { server 10.1.1.1; }\n    server {')
    const out = edit(text, (doc) => nginx.addRoute(doc, {kind: 'host', match: 'www.example.com', backend: 'web'}))
    expect(out).to.include('proxy_pass https://web/app/;')
  })

  it('route remove refuses a route that goes to another upstream', () => {
    const error = thrown(() => edit(conf, (doc) => nginx.removeRoute(doc, {kind: 'host', match: 'www.example.com', backend: 'other'})))
    expect(error.message).to.include('goes to web')
  })

  it('keeps *_by_lua_block bodies verbatim, braces in Lua strings and comments included', () => {
    const text = 'location /t {\n    content_by_lua_block {\n        local t = { a = "}" } -- }\n        ngx.say([[ } ]])\n    }\n}\n'
    const doc = nginx.parse(text, 'lua.conf')
    expect(doc.serialize()).to.equal(text)
  })

  it('reads regex locations with braces inside quotes and ${var} in words', () => {
    const text = 'server {\n    location ~ "^/a{2,3}/(\\d+)$" { return 200 "${uri}"; }\n    set $x "a;b";\n}\n'
    const doc = nginx.parse(text, 're.conf')
    expect(doc.serialize()).to.equal(text)
  })

  it('reports an unterminated quote with file and line', () => {
    const error = thrown(() => nginx.parse('events {}\nhttp {\n  server_name "oops;\n}\n', 'bad.conf'))
    expect(error).to.be.instanceOf(ConfigError)
    expect(error.located).to.equal('bad.conf:3: unterminated double-quoted string')
    expect(error.exitCode).to.equal(2)
  })

  it('reports a missing closing brace and a stray one with their lines', () => {
    expect(thrown(() => nginx.parse('http {\n  upstream a {\n', 'x.conf')).located).to.match(/^x\.conf:3: unexpected end of file/)
    expect(thrown(() => nginx.parse('events {}\n}\n', 'x.conf')).located).to.equal('x.conf:2: unexpected "}"')
  })

  it('reports errors deep in blocks no edit reads, at parse time with their lines', () => {
    const nested = (inner: string): string => `events {}\nhttp {\n  upstream a {\n    server 10.0.0.1;\n  }\n  server {\n    location / {\n${inner}\n    }\n  }\n}\n`
    expect(thrown(() => nginx.parse(nested('      ;'), 'x.conf')).located).to.equal('x.conf:8: unexpected ";"')
    expect(thrown(() => nginx.parse(nested('      proxy_pass http://a }'), 'x.conf')).located).to.equal('x.conf:8: unexpected "}" in "proxy_pass", expecting ";"')
    // The Lua body ends at the location's brace (the one in the Lua string does not count), so a brace is missing.
    expect(thrown(() => nginx.parse(nested('      content_by_lua_block { ngx.say("}") '), 'x.conf')).located).to.equal('x.conf:12: unexpected end of file, expecting "}"')
  })

  it('edits one upstream among many and gives the lines other upstreams would have', () => {
    const pools = Array.from({length: 3}, (_, u) => `  upstream p${u} {\n    server 10.0.${u}.1:80;\n    server "10.0.${u}.2:80"\n      weight=2;\n  }`)
    const text = `http {\n${pools.join('\n')}\n}\n`
    const doc = nginx.parse(text, 'nginx.conf')
    const outcome = nginx.addServer(doc, {backend: 'p2', address: '10.0.2.3', port: 80})
    expect(outcome.server?.line).to.equal(16)
    expect(doc.serialize().split('\n')[15]).to.equal('    server 10.0.2.3:80;')
    expect(nginx.listBackends(nginx.parse(text, 'nginx.conf')).map((b) => [b.name, b.line, b.servers.map((s) => s.line)])).to.deep.equal([
      ['p0', 2, [3, 4]],
      ['p1', 7, [8, 9]],
      ['p2', 12, [13, 14]],
    ])
  })

  it('detects nginx files by name and content', () => {
    expect(DETECTORS.nginx('sites-available/default', 'server {\n listen 80;\n server_name a;\n}\n')).to.be.greaterThan(0.5)
    expect(DETECTORS.nginx('haproxy.cfg', 'frontend www\n  bind :80\n  default_backend web\n')).to.be.lessThan(0.3)
  })
})
