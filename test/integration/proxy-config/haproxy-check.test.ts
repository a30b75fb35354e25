import {expect} from 'chai'
import fc from 'fast-check'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import type {RouteSpec, ServerState} from '../../../src/proxy-config/engine.js'
import {haproxyEngine} from '../../../src/proxy-config/haproxy/engine.js'
import {CORPUS} from '../../harness/cli.js'

/** The corpus files haproxy 2.6 accepts as they are, per MANIFEST.tsv's `valid` column. */
function acceptedFiles(): string[] {
  const rows = readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1)
  return rows
    .map((r) => r.split('\t'))
    .filter((cols) => cols[1] === 'haproxy' && cols.at(-1) === 'ok')
    .map((cols) => cols[0])
}

describe('haproxy -c on edited files (real binary)', function () {
  this.timeout(120_000)

  for (const file of acceptedFiles()) {
    it(`${file}: haproxy -c accepts the original and every backend with a server added`, async () => {
      const name = path.join(CORPUS, file)
      const text = readFileSync(name, 'latin1')
      const original = await haproxyEngine.validate(text, {file: name})
      expect(original.validator).to.equal('haproxy -c')
      expect(original.ok, original.output).to.equal(true)
      const backends = haproxyEngine.listBackends(haproxyEngine.parse(text, file)).filter((b) => b.servers.length > 0)
      for (const backend of backends) {
        const doc = haproxyEngine.parse(text, file)
        haproxyEngine.addServer(doc, {backend: backend.name, address: '127.0.0.9', port: 8099})
        const edited = await haproxyEngine.validate(doc.serialize(), {file: name})
        expect(edited.ok, `${backend.name}: ${edited.output}`).to.equal(true)
      }
    })
  }

  it('random edit sequences keep the file valid for haproxy -c', async () => {
    const base = [
      'global',
      '    maxconn 100',
      'defaults',
      '    mode http',
      '    timeout connect 1s',
      '    timeout client 1s',
      '    timeout server 1s',
      'frontend www',
      '    bind 127.0.0.1:18080',
      '    acl is_api hdr(host) -i api.example.com',
      '    use_backend api if is_api',
      '    default_backend web',
      'backend web',
      '    balance roundrobin',
      '    server web1 127.0.1.1:80 check inter 2s cookie w1',
      '    server web2 127.0.1.2:80 check inter 2s cookie w2',
      'backend api',
      '    server api1 127.0.1.3:80',
      '',
    ].join('\n')
    const backendName = fc.constantFrom('web', 'api', 'extra')
    const op = fc.oneof(
      fc.record({kind: fc.constant('add' as const), backend: backendName, octet: fc.integer({min: 1, max: 254}), port: fc.integer({min: 1, max: 65_535}), weight: fc.option(fc.integer({min: 0, max: 256}), {nil: undefined}), backup: fc.boolean(), check: fc.boolean()}),
      fc.record({kind: fc.constant('remove' as const), backend: backendName, pick: fc.nat()}),
      fc.record({kind: fc.constant('state' as const), backend: backendName, pick: fc.nat(), state: fc.constantFrom<ServerState>('drain', 'disabled', 'enabled')}),
      fc.record({kind: fc.constant('route' as const), add: fc.boolean(), host: fc.boolean(), label: fc.stringMatching(/^[a-z]{1,8}$/), backend: backendName}),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, {minLength: 1, maxLength: 12}), async (ops) => {
        const doc = haproxyEngine.parse(base, 'random.cfg')
        for (const o of ops) {
          const servers = haproxyEngine.listBackends(doc).find((b) => b.name === o.backend)?.servers ?? []
          if (o.kind === 'add') {
            haproxyEngine.addServer(doc, {backend: o.backend, address: `127.0.2.${o.octet}`, port: o.port, weight: o.weight, backup: o.backup, check: o.check, create: true})
          } else if (o.kind === 'remove' && servers.length > 0) {
            haproxyEngine.removeServer(doc, o.backend, servers[o.pick % servers.length].name)
          } else if (o.kind === 'state' && servers.length > 0) {
            haproxyEngine.setServerState(doc, o.backend, servers[o.pick % servers.length].name, o.state)
          } else if (o.kind === 'route') {
            const spec: RouteSpec = {kind: o.host ? 'host' : 'path', match: o.host ? `${o.label}.example.com` : `/${o.label}`, backend: o.backend, create: true}
            const taken = haproxyEngine.listRoutes(doc).find((r) => r.kind === spec.kind && r.match === spec.match)
            if (o.add && !taken) haproxyEngine.addRoute(doc, spec)
            if (!o.add && taken) haproxyEngine.removeRoute(doc, {...spec, backend: taken.backend})
          }
          expect(haproxyEngine.parse(doc.serialize(), 'random.cfg').serialize()).to.equal(doc.serialize())
        }
        const result = await haproxyEngine.validate(doc.serialize(), {file: 'random.cfg'})
        expect(result.ok, `${result.output}\n--- config ---\n${doc.serialize()}`).to.equal(true)
      }),
      {numRuns: 25},
    )
  })
})
