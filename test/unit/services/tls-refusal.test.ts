import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {expect} from 'chai'

import {parseCluster} from '../../../src/cluster/loader.js'
import {UsageError} from '../../../src/errors.js'
import {MemoryReporter} from '../../../src/events.js'
import {addTls} from '../../../src/services/tls.js'
import {tempDir} from '../../harness/monitor-world.js'

const POUND = 'ListenHTTP\n    Address 127.0.0.1\n    Port 80\nEnd\nService\n    BackEnd\n        Address 127.0.0.1\n        Port 8081\n    End\nEnd\n'
const PERLBAL = 'CREATE POOL web\n  POOL web ADD 127.0.0.1:8081\nCREATE SERVICE www\n  SET role = reverse_proxy\n  SET listen = 127.0.0.1:80\n  SET pool = web\nENABLE www\n'

/**
 * pound and perlbal open certificate paths from their working folder, so hactl
 * writes no listener for them: the refusal (exit 2) names the lines to write,
 * with the certificate's path in the folder the rollout installs hactl-tls/ into.
 */
describe('tls add on pound and perlbal: a precise refusal', () => {
  async function refusal(engine: 'pound' | 'perlbal', yaml: string, text: string, proxy = ''): Promise<{error: UsageError; file: string; text: string}> {
    const dir = await tempDir('hactl-tls-refusal-')
    const file = path.join(dir, `${engine}.cfg`)
    await writeFile(file, text)
    const cluster = parseCluster(`${yaml}proxy: {engine: ${engine}, config: ./${engine}.cfg${proxy}}\n`, path.join(dir, 'hactl.yaml'))
    // The certificate files are never read: the engine is refused first.
    const error = await addTls({cluster, name: 'www', cert: path.join(dir, 'none.crt'), key: path.join(dir, 'none.key'), redirectHttp: false, push: false, reporter: new MemoryReporter()}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(UsageError)
    return {error: error as UsageError, file, text: await readFile(file, 'utf8')}
  }

  it('pound: the ListenHTTPS block with the absolute Cert path in the default folder, exit 2, nothing changed', async () => {
    const {error, text} = await refusal('pound', 'cluster: web\nprovider: static\nhosts:\n  - {name: p1, address: 10.0.0.1}\n', POUND)
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.include('pound opens certificate paths from its working folder')
    const actions = error.actions.join('\n')
    expect(actions).to.include('`Cert "/etc/pound/hactl-tls/www.pem"`')
    expect(actions).to.include('ListenHTTPS')
    expect(actions).to.include('installs hactl-tls/ in /etc/pound (proxy.remotePath / hosts[].remotePath)')
    expect(actions).to.include('(umask 077; cat CERT CHAIN KEY > hactl-tls/www.pem)')
    expect(text).to.equal(POUND)
  })

  it('pound: the folder of proxy.remotePath, and every folder when hosts differ', async () => {
    const one = await refusal('pound', 'cluster: web\nprovider: aws\n', POUND, ', remotePath: /opt/pound/etc/pound.cfg')
    expect(one.error.actions[0]).to.include('`Cert "/opt/pound/etc/hactl-tls/www.pem"`')
    expect(one.error.actions[0]).to.include('installs hactl-tls/ in /opt/pound/etc (')
    const moved = await refusal('pound', 'cluster: web\nprovider: static\nhosts:\n  - {name: p1, address: 10.0.0.1}\n  - {name: p2, address: 10.0.0.2, remotePath: /srv/pound/pound.cfg}\n', POUND)
    expect(moved.error.actions[0]).to.include('in /etc/pound, /srv/pound: one config text cannot name them all')
  })

  it('perlbal: the SET lines with the absolute paths, and what perlbal needs for SSL', async () => {
    const {error, text} = await refusal('perlbal', 'cluster: web\nprovider: aws\n', PERLBAL)
    expect(error.exitCode).to.equal(2)
    const actions = error.actions.join('\n')
    expect(actions).to.include('`SET ssl_cert_file = /etc/perlbal/hactl-tls/www.pem`')
    expect(actions).to.include('`SET ssl_key_file = /etc/perlbal/hactl-tls/www.pem`')
    expect(actions).to.include('IO::Socket::SSL')
    expect(text).to.equal(PERLBAL)
  })
})
