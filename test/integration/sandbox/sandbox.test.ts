import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import path from 'node:path'

import {LocalProvider} from '../../../src/cloud/local/provider.js'
import {loadCluster} from '../../../src/cluster/loader.js'
import {pidAlive} from '../../../src/process/identity.js'
import {hactl} from '../../harness/cli.js'
import {freePort} from '../../harness/ports.js'
import {upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {portOpen, waitFor} from '../../harness/wait.js'

function pidsOf(text: string): number[] {
  const view = JSON.parse(text) as {supervisorPid?: number; instances: {pid?: number}[]}
  return [view.supervisorPid, ...view.instances.map((i) => i.pid)].filter((p): p is number => typeof p === 'number')
}

describe('hactl sandbox (real haproxy, forwarders and DNS on loopback)', function () {
  this.timeout(90_000)
  let sb: TestSandbox

  before(async () => {
    const started = await upSandbox(21)
    sb = started
    expect(started.up.code, started.up.stderr).to.equal(0)
  })

  after(async () => {
    await sb?.down()
  })

  it('up writes a provider local cluster file with the sandbox health defaults', async () => {
    const text = await readFile(sb.clusterFile, 'utf8')
    expect(text).to.include('provider: local')
    expect(text).to.match(/interval: 500ms, timeout: 250ms, rise: 2, fall: 2/)
    const validate = await sb.run(['validate'])
    expect(validate.code, validate.stderr).to.equal(0)
  })

  it('DNS answers exactly the three Elastic IPs', async () => {
    const answers = await sb.resolve('www.sandbox.test')
    expect([...answers].sort()).to.deep.equal([sb.eip(1), sb.eip(2), sb.eip(3)])
  })

  it('requests through each Elastic IP reach the backends in turn', async () => {
    for (const n of [1, 2, 3]) {
      const seen: string[] = []
      for (let i = 0; i < 4; i++) {
        const reply = await sb.get(sb.eip(n))
        expect(reply.status).to.equal(200)
        seen.push(reply.body.split(' ')[0])
      }
      expect([...seen].sort(), `through ${sb.eip(n)}`).to.deep.equal(['web1', 'web2', 'web3', 'web4'])
    }
  })

  it('up on a running sandbox says so and changes nothing', async () => {
    const before = await readFile(path.join(sb.dir, '.hactl-sandbox', 'state.json'), 'utf8')
    const again = await hactl(['sandbox', 'up', '--dir', sb.dir])
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.include('already running')
    expect(await readFile(path.join(sb.dir, '.hactl-sandbox', 'state.json'), 'utf8')).to.equal(before)
  })

  it('an association moves an Elastic IP for new connections at once', async () => {
    const provider = new LocalProvider(await loadCluster(sb.clusterFile))
    const [eip1] = (await provider.listAddresses()).filter((a) => a.publicIp === sb.eip(1))
    const proxies = await provider.listProxies()
    const other = proxies.find((p) => p.id !== eip1.instanceId)!
    await provider.associateAddress(eip1.allocationId, other.id)
    expect((await sb.get(sb.eip(1))).proxy).to.equal(other.name)
    await provider.associateAddress(eip1.allocationId, eip1.instanceId!)
    expect((await sb.get(sb.eip(1))).proxy).to.equal(proxies.find((p) => p.id === eip1.instanceId)!.name)
  })

  it('kill takes a proxy down like a dying node and revive brings it back', async () => {
    const kill = await sb.run(['sandbox', 'kill', 'proxy-2'])
    expect(kill.code, kill.stderr).to.equal(0)
    expect(kill.stdout).to.include('killed proxy-2')
    let failed = false
    await sb.get(sb.eip(2)).catch(() => (failed = true))
    expect(failed, 'a request through the dead proxy\'s address fails').to.equal(true)
    const status = await sb.run(['sandbox', 'status'])
    expect(status.stdout).to.match(new RegExp(`proxy-2\\t\\S+\\tlocal-b\\t${sb.nets.proxy.replaceAll('.', '\\.')}\\.2\\tkilled`))
    const again = await sb.run(['sandbox', 'kill', 'proxy-2'])
    expect(again.stdout).to.include('already down')
    const revive = await sb.run(['sandbox', 'revive', 'proxy-2'])
    expect(revive.code, revive.stderr).to.equal(0)
    expect((await sb.get(sb.eip(2))).status).to.equal(200)
  })

  it('kill names the instances there are when it does not know the one asked for', async () => {
    const kill = await sb.run(['sandbox', 'kill', 'proxy-9'])
    expect(kill.code).to.equal(2)
    expect(kill.stderr).to.include('no sandbox instance "proxy-9"').and.include('proxy-1')
  })

  it('a second sandbox on other nets runs beside the first; a port in use is named and nothing starts', async () => {
    const dns = await freePort()
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(dns, '127.0.0.1', () => resolve()))
    try {
      const blocked = await upSandbox(22, {dnsPort: dns})
      expect(blocked.up.code).to.equal(2)
      expect(blocked.up.stderr).to.include(`127.0.0.1:${dns}/tcp (DNS) is already in use`)
      expect(await portOpen(blocked.ports.proxy, blocked.eip(1))).to.equal(false)
      expect(existsSync(blocked.clusterFile), 'nothing written').to.equal(false)
    } finally {
      holder.close()
    }
    const second = await upSandbox(22)
    try {
      expect(second.up.code, second.up.stderr).to.equal(0)
      expect((await second.get(second.eip(1))).status).to.equal(200)
      expect((await sb.get(sb.eip(1))).status).to.equal(200)
    } finally {
      await second.down()
    }
  })

  it('down stops every process it started and leaves no port bound, and keeps the user\'s files', async () => {
    const status = await sb.run(['sandbox', 'status', '--json'])
    const pids = pidsOf(status.stdout)
    expect(pids).to.have.length(4)
    const down = await sb.down()
    expect(down.code, down.stderr).to.equal(0)
    await waitFor('every sandbox process to exit', () => pids.every((p) => !pidAlive(p)) || undefined)
    for (const host of [sb.eip(1), sb.eip(2), sb.eip(3), `${sb.nets.proxy}.1`, `${sb.nets.proxy}.2`, `${sb.nets.proxy}.3`]) {
      expect(await portOpen(sb.ports.proxy, host), host).to.equal(false)
    }
    expect(await portOpen(sb.ports.backend, `${sb.nets.backend}.1`)).to.equal(false)
    expect(await portOpen(sb.ports.dns, '127.0.0.1')).to.equal(false)
    expect(await readFile(sb.clusterFile, 'utf8')).to.include('provider: local')
    expect(await readFile(path.join(sb.dir, 'haproxy.cfg'), 'utf8')).to.include('backend web')
    const again = await sb.down()
    expect(again.code).to.equal(0)
    expect(again.stdout).to.include('nothing to stop')
  })
})
