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
 * pound and perlbal open certificate paths from their working folder, so their
 * config names the certificate by its absolute path on the hosts: refused
 * (exit 2, before the certificate files are read) only when the hosts keep
 * their configs in different folders, which one pushed text cannot name.
 */
describe('tls add on pound and perlbal: refused when the hosts\' folders differ', () => {
  async function refusal(engine: 'pound' | 'perlbal', yaml: string, text: string, proxy = ''): Promise<{error: UsageError; file: string; text: string}> {
    const dir = await tempDir('hactl-tls-refusal-')
    const file = path.join(dir, `${engine}.cfg`)
    await writeFile(file, text)
    const cluster = parseCluster(`${yaml}proxy: {engine: ${engine}, config: ./${engine}.cfg${proxy}}\n`, path.join(dir, 'hactl.yaml'))
    // The certificate files do not exist: the folders are refused first.
    const error = await addTls({cluster, name: 'www', cert: path.join(dir, 'none.crt'), key: path.join(dir, 'none.key'), redirectHttp: false, push: false, reporter: new MemoryReporter()}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(UsageError)
    return {error: error as UsageError, file, text: await readFile(file, 'utf8')}
  }

  for (const [engine, text] of [['pound', POUND], ['perlbal', PERLBAL]] as const) {
    it(`${engine}: hosts in /etc/${engine} and /srv/${engine}: exit 2 naming both folders and what to do, nothing changed`, async () => {
      const yaml = `cluster: web\nprovider: static\nhosts:\n  - {name: p1, address: 10.0.0.1}\n  - {name: p2, address: 10.0.0.2, remotePath: /srv/${engine}/${engine}.conf}\n`
      const {error, text: after} = await refusal(engine, yaml, text)
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.include(`these hosts keep their configs in /etc/${engine}, /srv/${engine}`)
      expect(error.actions.join('\n')).to.include('Give every host the same config folder')
      expect(after).to.equal(text)
    })
  }

  it('one folder for every host is not refused: the certificate files are read next', async () => {
    const dir = await tempDir('hactl-tls-refusal-')
    await writeFile(path.join(dir, 'pound.cfg'), POUND)
    const cluster = parseCluster('cluster: web\nprovider: static\nhosts:\n  - {name: p1, address: 10.0.0.1}\n  - {name: p2, address: 10.0.0.2, remotePath: /etc/pound/other.cfg}\nproxy: {engine: pound, config: ./pound.cfg}\n', path.join(dir, 'hactl.yaml'))
    const error = (await addTls({cluster, name: 'www', cert: path.join(dir, 'none.crt'), key: path.join(dir, 'none.key'), redirectHttp: false, push: false, reporter: new MemoryReporter()}).catch((e: unknown) => e)) as UsageError
    expect(error.message).to.match(/^--cert .*none\.crt: cannot read it/)
  })
})
