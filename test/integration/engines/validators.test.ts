import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {CORPUS} from '../../harness/cli.js'
import {nginxEngine} from '../../../src/proxy-config/nginx/engine.js'
import {validateNginx} from '../../../src/proxy-config/nginx/validate.js'
import {perlbalEngine} from '../../../src/proxy-config/perlbal/engine.js'

// Corpus files name hosts that only resolve on their owners' networks: nginx -t runs in a network
// namespace of its own (no interfaces up), so its look-ups fail here instead of leaving the machine.
const isolated = {wrapper: ['unshare', '-n']}

describe('real validators on edited corpus files', function () {
  this.timeout(120_000)

  const dir = path.join(CORPUS, 'nginx')
  for (const file of readdirSync(dir).sort()) {
    it(`nginx -t accepts ${file} after a server is added to each upstream whenever it accepted the original`, async function () {
      const text = readFileSync(path.join(dir, file), 'latin1')
      const original = await validateNginx(text, {file, ...isolated})
      // Most corpus files need includes, certificates or modules this machine lacks: nothing to compare.
      if (!original.ok) this.skip()
      const doc = nginxEngine.parse(text, file)
      for (const backend of nginxEngine.listBackends(doc).filter((b) => b.servers.length > 0)) {
        nginxEngine.addServer(doc, {backend: backend.name, address: '10.255.0.9', port: 8081})
        nginxEngine.setServerState(doc, backend.name, backend.servers[0].name, 'drain')
      }
      const edited = await validateNginx(doc.serialize(), {file, ...isolated})
      expect(edited.ok, edited.output).to.equal(true)
    })
  }

  it('nginx -t rejects an upstream left without servers, naming the file and line', async () => {
    const text = 'upstream app {\n    server 127.0.0.1:9000;\n}\n'
    const doc = nginxEngine.parse(text, 'app.conf')
    nginxEngine.removeServer(doc, 'app', '127.0.0.1:9000')
    const result = await validateNginx(doc.serialize(), {file: 'app.conf', ...isolated})
    expect(result.ok).to.equal(false)
    expect(result.validator).to.equal('nginx -t (fragment inside http {})')
    expect(result.output).to.equal('nginx: [emerg] no servers are inside upstream in app.conf:2\nnginx: configuration file app.conf test failed')
    expect(result.line).to.equal(2)
  })

  it('nginx -t checks a whole config (events, http) as it is, with its own pid', async () => {
    const text = 'pid /tmp/never-written.pid;\nevents {}\nhttp {\n  upstream a { server 127.0.0.1:1; }\n}\n'
    const result = await nginxEngine.validate(text, {file: 'nginx.conf'})
    expect(result).to.include({ok: true, validator: 'nginx -t'})
  })

  it('perlbal starts on loopback with an edited corpus config and answers', async () => {
    const file = '002-load-balancer.conf'
    const doc = perlbalEngine.parse(readFileSync(path.join(CORPUS, 'perlbal', file), 'latin1'), file)
    perlbalEngine.addServer(doc, {backend: 'my_apaches', address: '10.0.0.14', port: 8080})
    const result = await perlbalEngine.validate(doc.serialize(), {file})
    expect(result.ok, result.output).to.equal(true)
    expect(result.validator).to.equal('perlbal (trial start on loopback)')
    expect(result.output).to.include('answered on 3 loopback port(s)')
  })

  it('perlbal refuses a config whose plugin is not installed, in its own words', async () => {
    const file = '001-antispam.conf'
    const result = await perlbalEngine.validate(readFileSync(path.join(CORPUS, 'perlbal', file), 'latin1'), {file})
    expect(result.ok).to.equal(false)
    expect(result.output).to.include('SerotypeProxy')
  })
})
