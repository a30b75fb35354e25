import {expect} from 'chai'

import {DETECTORS} from '../../../src/proxy-config/detect.js'
import {perlbalEngine as perlbal} from '../../../src/proxy-config/perlbal/engine.js'
import {poundEngine as pound} from '../../../src/proxy-config/pound/engine.js'
import {thrown} from './helpers.js'

const pound2 = [
  'ListenHTTP',
  '\tAddress 0.0.0.0',
  '\tPort 80',
  '\tService "web"',
  '\t\tHeadRequire "Host: www.example.com"',
  '\t\tBackEnd',
  '\t\t\tAddress 10.0.0.1',
  '\t\t\tPort\t8080',
  '\t\t\tTimeOut 20',
  '\t\tEnd',
  '\tEnd',
  '\tService',
  '\t\tBackEnd',
  '\t\t\tAddress 10.0.0.9 # fallback',
  '\t\t\tPort 80',
  '\t\tEnd',
  '\tEnd',
  'End',
  '',
].join('\n')

describe('pound engine', () => {
  it('lists Services by name or #index, with their back-ends and host routes', () => {
    const doc = pound.parse(pound2, 'pound.cfg')
    expect(pound.listBackends(doc).map((b) => [b.name, b.servers.map((s) => s.name)])).to.deep.equal([
      ['web', ['10.0.0.1:8080']],
      ['#2', ['10.0.0.9:80']],
    ])
    expect(pound.listRoutes(doc)).to.deep.equal([{frontend: 'ListenHTTP 0.0.0.0:80', kind: 'host', match: 'www.example.com', backend: 'web', line: 5}])
  })

  it('backend add writes a BackEnd block shaped like its sibling, keeping the lines all siblings share', () => {
    const doc = pound.parse(pound2, 'pound.cfg')
    pound.addServer(doc, {backend: 'web', address: '10.0.0.2', port: 8080, weight: 3})
    expect(doc.serialize()).to.include('\t\tEnd\n\t\tBackEnd\n\t\t\tAddress 10.0.0.2\n\t\t\tPort\t8080\n\t\t\tPriority\t3\n\t\t\tTimeOut 20\n\t\tEnd\n\tEnd\n\tService\n')
  })

  it('a batch of adds then the batch of removals gives back the original bytes', () => {
    const doc = pound.parse(pound2, 'pound.cfg')
    const added = pound.addServers(doc, [10, 11, 12].map((n) => ({backend: 'web', address: `10.0.0.${n}`, port: 8080})))
    expect(added.map((o) => o.changed)).to.deep.equal([true, true, true])
    expect(pound.listBackends(doc)[0].servers).to.have.length(4)
    pound.removeServers(doc, 'web', added.map((o) => o.server!.name))
    expect(doc.serialize()).to.equal(pound2)
  })

  it('disable writes Disabled 1 and enable removes it', () => {
    const doc = pound.parse(pound2, 'pound.cfg')
    pound.setServerState(doc, '#2', '10.0.0.9:80', 'drain')
    expect(doc.serialize()).to.include('\t\t\tPort 80\n\t\t\tDisabled 1\n')
    expect(pound.listBackends(doc)[1].servers[0].state).to.equal('disabled')
    pound.setServerState(doc, '#2', '10.0.0.9:80', 'enabled')
    expect(doc.serialize()).to.equal(pound2)
  })

  it('route add gives a Service its host condition, route remove takes it away', () => {
    const doc = pound.parse(pound2, 'pound.cfg')
    pound.addRoute(doc, {kind: 'path', match: '/static', backend: '#2'})
    expect(doc.serialize()).to.include('\tService\n\t\tURL "^/static"\n\t\tBackEnd\n')
    pound.removeRoute(doc, {kind: 'path', match: '/static', backend: '#2'})
    expect(doc.serialize()).to.equal(pound2)
  })

  it('refuses a second host on one Service, since pound requires all its conditions', () => {
    const error = thrown(() => pound.addRoute(pound.parse(pound2, 'p.cfg'), {kind: 'host', match: 'api.example.com', backend: 'web'}))
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.include('all of a Service')
  })

  it('uses pound 4 syntax in pound 4 files', () => {
    const text = 'ListenHTTP\n  Address 127.0.0.1\n  Port 8080\n  Service "a"\n    Path "/x"\n    Backend\n      Address 10.0.0.1\n      Port 80\n    End\n  End\n  Service "b"\n    Backend\n      Address 10.0.0.2\n      Port 80\n    End\n  End\nEnd\n'
    const doc = pound.parse(text, 'p.cfg')
    pound.addRoute(doc, {kind: 'host', match: 'b.example.com', backend: 'b'})
    expect(doc.serialize()).to.include('  Service "b"\n    Host "b.example.com"\n')
  })

  it('reports an End without a block and a block without End with their lines', () => {
    expect(thrown(() => pound.parse('ListenHTTP\nEnd\nEnd\n', 'p.cfg')).located).to.equal('p.cfg:3: End without a block to close')
    expect(thrown(() => pound.parse('ListenHTTP\n  Service\nEnd\n', 'p.cfg')).located).to.equal('p.cfg:1: ListenHTTP has no End')
  })

  it('validates structurally and says pound did not run', async () => {
    const ok = await pound.validate(pound2, {file: 'p.cfg'})
    expect(ok.ok).to.equal(true)
    expect(ok).to.include({validator: 'structural (pound is not installed here)', output: 'blocks, directives, addresses and ports are sound; pound -c did not run'})
    const bad = await pound.validate(pound2.replace('Port\t8080', 'Port\t80800').replace('TimeOut', 'Tmeout'), {file: 'p.cfg'})
    expect(bad.ok).to.equal(false)
    expect(bad.output).to.equal('p.cfg:8: "80800" is not a port (1-65535)\np.cfg:9: unknown directive "Tmeout"')
  })
})

const lb = [
  'create pool web',
  '    pool web add 10.0.0.1:8080',
  '',
  'CREATE SERVICE sel',
  '  SET role = selector',
  '  SET plugins = vhosts',
  '  SET listen = 0.0.0.0:80',
  '  VHOST sel www.example.com = proxy',
  'ENABLE sel',
  '',
  'CREATE SERVICE proxy',
  '  SET role = reverse_proxy',
  '  SET pool = web',
  'ENABLE proxy',
  '',
].join('\n')

describe('perlbal engine', () => {
  it('lists pools and VHOST routes resolved to the pool behind the target service', () => {
    const doc = perlbal.parse(lb, 'perlbal.conf')
    expect(perlbal.listBackends(doc)[0].servers.map((s) => s.name)).to.deep.equal(['10.0.0.1:8080'])
    expect(perlbal.listRoutes(doc)).to.deep.equal([{frontend: 'sel', kind: 'host', match: 'www.example.com', backend: 'web', line: 8}])
  })

  it('backend add copies the sibling line, lower case and indentation included', () => {
    const doc = perlbal.parse(lb, 'perlbal.conf')
    perlbal.addServer(doc, {backend: 'web', address: '10.0.0.2', port: 8080})
    expect(doc.serialize()).to.include('    pool web add 10.0.0.1:8080\n    pool web add 10.0.0.2:8080\n')
  })

  it('a batch of adds then the batch of removals gives back the original bytes', () => {
    const doc = perlbal.parse(lb, 'perlbal.conf')
    const added = perlbal.addServers(doc, [10, 11, 12].map((n) => ({backend: 'web', address: `10.0.0.${n}`, port: 8080})))
    expect(added.map((o) => o.changed)).to.deep.equal([true, true, true])
    perlbal.removeServers(doc, 'web', ['10.0.0.10:8080', '10.0.0.11:8080', '10.0.0.12:8080'])
    expect(doc.serialize()).to.equal(lb)
  })

  it('disable keeps the node line behind a marker; enable restores it byte for byte', () => {
    const doc = perlbal.parse(lb, 'perlbal.conf')
    perlbal.setServerState(doc, 'web', '10.0.0.1:8080', 'disabled')
    expect(doc.serialize()).to.include('    # disabled: pool web add 10.0.0.1:8080\n')
    expect(perlbal.listBackends(doc)[0].servers[0].state).to.equal('disabled')
    perlbal.setServerState(doc, 'web', '10.0.0.1:8080', 'enabled')
    expect(doc.serialize()).to.equal(lb)
  })

  it('refuses weights and backups, which perlbal pools do not have', () => {
    expect(thrown(() => perlbal.addServer(perlbal.parse(lb, 'p'), {backend: 'web', address: '10.0.0.2', port: 1, weight: 2})).message).to.include('no weight')
  })

  it('route add writes a VHOST line in the selector and route remove takes it out', () => {
    const doc = perlbal.parse(lb, 'perlbal.conf')
    const added = perlbal.addRoute(doc, {kind: 'host', match: 'api.example.com', backend: 'web'})
    expect(added.route).to.include({frontend: 'sel', match: 'api.example.com', backend: 'web'})
    expect(doc.serialize()).to.include('  VHOST sel www.example.com = proxy\n  VHOST sel api.example.com = proxy\n')
    perlbal.removeRoute(doc, {kind: 'host', match: 'api.example.com', backend: 'web'})
    expect(doc.serialize()).to.equal(lb)
  })

  it('checks structure: pools used before CREATE, bad node addresses, unknown commands', async () => {
    const bad = await perlbal.validate('POOL x ADD 10.0.0.1:80\nCREATE POOL y\n  POOL y ADD 10.0.0.300:99999\nFROB z\n', {file: 'p.conf', structuralOnly: true})
    expect(bad.output.split('\n')).to.deep.equal([
      'p.conf:1: pool x is used before CREATE POOL x',
      'p.conf:3: "10.0.0.300:99999" is not an ip:port perlbal accepts',
      'p.conf:4: unknown command "FROB"',
    ])
  })

  it('detects perlbal files by their commands', () => {
    expect(DETECTORS.perlbal('lb.conf', lb)).to.be.greaterThan(0.6)
    expect(DETECTORS.perlbal('nginx.conf', 'http {\n server { listen 80; }\n}\n')).to.equal(0)
  })
})
