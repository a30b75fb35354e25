import {expect} from 'chai'

import {parseCluster} from '../../../src/cluster/loader.js'
import {firewallPolicy} from '../../../src/firewall/policy.js'
import type {Connections} from '../../../src/remote/connect.js'
import type {RolloutTarget} from '../../../src/remote/hosts.js'
import {LOCK_BUSY} from '../../../src/remote/plan.js'
import type {ExecResult, HeldCommand, Transport} from '../../../src/remote/transport.js'
import {applyNftables, BACKEND_LOCK, nftLockPath, type NftHostResult} from '../../../src/services/firewall-nft.js'

/**
 * The order and bounds of `firewall apply` on static hosts, with hosts made
 * of fakes: how many hosts are worked on at once cannot be seen from outside
 * on real hosts. (The real load, post-check and rollback run in network
 * namespaces: test/integration/firewall/nftables.test.ts.)
 */
describe('firewall apply on static hosts: each host under its lock, a bounded number at once', () => {
  const cluster = parseCluster(
    `cluster: shop
provider: static
hosts:
  - {name: p1, address: 10.0.0.1}
  - {name: p2, address: 10.0.0.2, remotePath: /srv/p2/haproxy.cfg}
  - {name: p3, address: 10.0.0.3}
  - {name: p4, address: 10.0.0.4}
  - {name: p5, address: 10.0.0.5}
proxy: {config: ./haproxy.cfg}
firewall: {public: [80], admin: [10.9.0.0/24]}
`,
    'hactl.yaml',
  )
  const policy = firewallPolicy(cluster.spec, [], 'haproxy.cfg')
  const addresses = cluster.spec.hosts.map((h) => h.address)

  interface World {
    /** Hosts whose lock someone else holds. */
    busy: Set<string>
    /** Hosts where a new SSH connection fails after the load. */
    shutOut: Set<string>
    log: string[]
    inFlight: number
    maxInFlight: number
    /** Hosts holding their lock now, with the path they locked. */
    locked: Map<string, string>
  }

  function world(): World {
    return {busy: new Set(), shutOut: new Set(), log: [], inFlight: 0, maxInFlight: 0, locked: new Map()}
  }

  function fake(w: World): () => Connections {
    let opened = 0
    return () => {
      const probe = opened++ > 0
      return {
        async connect(target: RolloutTarget): Promise<Transport> {
          if (probe && w.shutOut.has(target.name)) throw new Error('connect timed out')
          const exec = async (argv: readonly string[]): Promise<ExecResult> => {
            const command = argv.join(' ')
            w.log.push(`${target.name}: ${command}`)
            if (command === 'true') return {code: 0, stdout: '', stderr: ''}
            if (command.startsWith('nft list') || command.startsWith('nft -j list')) return {code: 1, stdout: '', stderr: 'No such file or directory'}
            if (command === 'nft -f -') {
              expect(w.locked.has(target.name), `${target.name} loads only under its lock`).to.equal(true)
              w.inFlight++
              w.maxInFlight = Math.max(w.maxInFlight, w.inFlight)
              // Let the other workers run while this host "loads".
              await new Promise((resolve) => setTimeout(resolve, 20))
              w.inFlight--
            }
            return {code: 0, stdout: '', stderr: ''}
          }
          const hold = (argv: readonly string[], on: {stdout: (b: Buffer) => void}): HeldCommand => {
            expect(argv.slice(0, 4)).to.deep.equal(['flock', '--nonblock', '--conflict-exit-code', String(LOCK_BUSY)])
            const busy = w.busy.has(target.name)
            if (!busy) {
              w.locked.set(target.name, argv[4])
              setImmediate(() => on.stdout(Buffer.from('locked\n')))
            }
            const exited = busy ? Promise.resolve({code: LOCK_BUSY, stdout: '', stderr: ''}) : new Promise<ExecResult>(() => undefined)
            return {
              write: () => undefined,
              exited,
              end: async () => {
                w.locked.delete(target.name)
                return {code: 0, stdout: '', stderr: ''}
              },
            }
          }
          return {host: target.name, exec, hold} as unknown as Transport
        },
        async close() {},
      }
    }
  }

  it('works on --concurrency hosts at once, each loaded under its lock, which is released after', async () => {
    const w = world()
    const results = await applyNftables(cluster, policy, addresses, {concurrency: 2, report: () => undefined, open: fake(w)})
    expect(results.map((r) => `${r.host} ${r.status}`)).to.deep.equal(['p1 updated', 'p2 updated', 'p3 updated', 'p4 updated', 'p5 updated'])
    expect(w.maxInFlight).to.equal(2)
    expect(w.locked.size, 'every lock released').to.equal(0)

    const one = world()
    await applyNftables(cluster, policy, addresses, {concurrency: 1, report: () => undefined, open: fake(one)})
    expect(one.maxInFlight).to.equal(1)
  })

  it('a host whose lock is held is busy and untouched; a host shut out is rolled back; the others go on', async () => {
    const w = world()
    w.busy.add('p2')
    w.shutOut.add('p4')
    const reported: NftHostResult[] = []
    const results = await applyNftables(cluster, policy, addresses, {concurrency: 3, report: (r) => reported.push(r), open: fake(w)})
    expect(results.map((r) => `${r.host} ${r.status}`)).to.deep.equal(['p1 updated', 'p2 busy', 'p3 updated', 'p4 rolled-back', 'p5 updated'])
    expect(results[1].detail).to.include('/srv/p2/.haproxy.cfg.hactl-lock')
    expect(w.log.filter((l) => l.startsWith('p2:')), 'nothing run on a busy host').to.deep.equal([])
    // The rollback loads the table before (none) over the connection still open.
    expect(w.log.filter((l) => l.startsWith('p4: nft -f'))).to.have.length(2)
    expect(reported).to.have.length(5)
  })

  it('locks a proxy with the rollout lock next to its config, a backend with the firewall lock', () => {
    expect(nftLockPath(cluster, {role: 'proxies', remotePath: '/srv/p2/haproxy.cfg'})).to.equal('/srv/p2/.haproxy.cfg.hactl-lock')
    expect(nftLockPath(cluster, {role: 'proxies', remotePath: ''})).to.equal('/etc/haproxy/.haproxy.cfg.hactl-lock')
    expect(nftLockPath(cluster, {role: 'backends'})).to.equal(BACKEND_LOCK)
  })
})
