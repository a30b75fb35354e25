import {readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {expect} from 'chai'

import {BIN} from '../../harness/cli.js'
import {parseEvents, type MonitorEvent} from '../../harness/monitor-events.js'
import {startProcess, type Started} from '../../harness/process.js'
import {hasCommand, upSandbox, type TestSandbox} from '../../harness/sandbox.js'
import {waitFor} from '../../harness/wait.js'

interface View {
  instances: {id: string; name: string; zone: string; crashed: boolean; alive: boolean}[]
  addresses: {publicIp: string; instanceId?: string}[]
}

type Event = MonitorEvent
const events = (monitor: Started): Event[] => parseEvents(monitor.output())

const coded = (monitor: Started, code: string, subject?: string): Event[] => events(monitor).filter((e) => e.code === code && (subject === undefined || e.subject === subject))

/** The sandbox's cluster file with lines added under `proxy:` (the state file and everything else stay shared). */
async function withProxyKeys(sb: TestSandbox, name: string, keys: string[]): Promise<string> {
  const file = path.join(sb.dir, name)
  const yaml = await readFile(sb.clusterFile, 'utf8')
  await writeFile(file, yaml.replace(/^proxy:\n/m, `proxy:\n${keys.map((k) => `  ${k}\n`).join('')}`))
  return file
}

function startMonitor(clusterFile: string): Started {
  return startProcess(process.execPath, [BIN, 'monitor', '-c', clusterFile], {env: {...process.env, NO_COLOR: '1'}})
}

/** Holds a proxy's rollout lock (the flock a push takes) until stopped: every push to it is refused as busy. */
function holdRolloutLock(live: string): Started {
  const lock = path.join(path.dirname(live), `.${path.basename(live)}.hactl-lock`)
  const script = 'import fcntl, sys, time\nf = open(sys.argv[1], "a")\nfcntl.flock(f, fcntl.LOCK_EX)\nprint("held", flush=True)\ntime.sleep(600)\n'
  return startProcess('python3', ['-c', script, lock])
}

describe('configs that follow the cluster (sandbox)', function () {
  this.timeout(180_000)

  describe('a new proxy gets the source config before traffic', () => {
    let sb: TestSandbox
    let monitor: Started | undefined
    let lock: Started | undefined
    const view = async (): Promise<View> => JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
    const holderOf = async (ip: string): Promise<string | undefined> => {
      const v = await view()
      return v.instances.find((i) => i.id === v.addresses.find((a) => a.publicIp === ip)?.instanceId)?.name
    }

    before(async function () {
      if (!hasCommand('monitor')) this.skip()
      sb = await upSandbox(70, {extra: ['--hold-down', '2000']})
      expect(sb.up.code, sb.up.stderr).to.equal(0)
    })

    after(async () => {
      await lock?.stop()
      await monitor?.stop()
      await sb?.down()
    })

    it('proxy launch --no-push leaves a fresh instance: it answers its health check and serves none of the sites', async () => {
      const r = await sb.run(['proxy', 'launch', '--count', '4', '--no-push'])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.not.include('source config')
      const fresh = await sb.get(`${sb.nets.proxy}.4`)
      expect(fresh.status).to.equal(503)
      expect(fresh.body).to.include('never pushed')
      expect((await sb.get(`${sb.nets.proxy}.4`, '/healthz')).status).to.equal(200)
    })

    it('the monitor gives no address to a new proxy whose push fails, though it holds the fewest', async () => {
      const proxy4 = (await view()).instances.find((i) => i.name === 'proxy-4')!
      const diff = JSON.parse((await sb.run(['config', 'diff', '--hosts', 'proxy-4', '--json'])).stdout) as {hosts: {path: string}[]}
      lock = holdRolloutLock(diff.hosts[0].path)
      await waitFor('the rollout lock held', () => /held/.test(lock?.output() ?? '') || undefined)
      monitor = startMonitor(sb.clusterFile)
      await waitFor('the monitor to fail to push proxy-4', () => coded(monitor!, 'converge.failed', proxy4.id).length > 0 || undefined, 30_000)
      // The guard matters only for a proxy the monitor judges healthy: proxy-4 answers /healthz.
      await waitFor('the monitor to see proxy-4 healthy', () => coded(monitor!, 'health.transition', proxy4.id).some((e) => e.data?.to === 'healthy') || undefined, 30_000)
      const before = await holderOf(sb.eip(1))
      expect((await sb.run(['sandbox', 'kill', before!])).code).to.equal(0)
      const after = await waitFor('the address to leave the killed proxy', async () => {
        const now = await holderOf(sb.eip(1))
        return now && now !== before ? now : undefined
      }, 30_000)
      expect(after, 'never-pushed proxy-4 holds no address').to.not.equal('proxy-4')
      expect(coded(monitor, 'converge.pushed', proxy4.id)).to.deep.equal([])
    })

    it('once its push goes through, the monitor pushes it, and only then may an address move to it', async () => {
      const proxy4 = (await view()).instances.find((i) => i.name === 'proxy-4')!
      await lock?.stop()
      await waitFor('the monitor to push proxy-4', () => coded(monitor!, 'converge.pushed', proxy4.id).length > 0 || undefined, 30_000)
      // A master-worker reload hands over to the new workers a moment after the signal.
      await waitFor('proxy-4 serving the source', async () => ((await sb.get(`${sb.nets.proxy}.4`)).proxy === 'proxy-4' ? true : undefined), 10_000)
      expect((await sb.run(['config', 'diff', '--hosts', 'proxy-4'])).code).to.equal(0)
      // The next failover picks it (it holds the fewest addresses), unless the monitor's rebalance gave it one first.
      const holders = await Promise.all([1, 2, 3].map(async (n) => ({ip: sb.eip(n), holder: await holderOf(sb.eip(n))})))
      const victim = holders.find((h) => h.holder !== 'proxy-4')?.holder as string
      expect((await sb.run(['sandbox', 'kill', victim])).code).to.equal(0)
      const taken = await waitFor('proxy-4 to hold an address', async () => {
        for (const n of [1, 2, 3]) if ((await holderOf(sb.eip(n))) === 'proxy-4') return sb.eip(n)
        return undefined
      }, 30_000)
      const answer = await sb.get(taken)
      expect(answer.status).to.equal(200)
      expect(answer.proxy).to.equal('proxy-4')
      const pushedAt = events(monitor!).findIndex((e) => e.code === 'converge.pushed' && e.subject === proxy4.id)
      const movedAt = events(monitor!).findIndex((e) => e.code === 'failover.planned' && (e.data as {to?: string} | undefined)?.to === proxy4.id)
      expect(movedAt).to.be.greaterThan(pushedAt)
      expect((await sb.run(['sandbox', 'revive', victim])).code).to.equal(0)
    })

    it('proxy launch pushes the source config to what it launched before it returns', async () => {
      const r = await sb.run(['proxy', 'launch', '--count', '5'])
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      expect(r.stdout).to.include('the source config is on it')
      expect((await sb.run(['config', 'diff', '--hosts', 'proxy-5'])).code).to.equal(0)
      // A master-worker reload hands over to the new workers a moment after the signal, as for every push.
      const answer = await waitFor('proxy-5 serving the source', async () => {
        const got = await sb.get(`${sb.nets.proxy}.5`)
        return got.status === 200 ? got : undefined
      }, 10_000)
      expect(answer.proxy).to.equal('proxy-5')
    })
  })

  describe('drift', () => {
    let sb: TestSandbox
    let monitor: Started | undefined
    let live: string
    let proxy2: string

    before(async function () {
      if (!hasCommand('monitor')) this.skip()
      sb = await upSandbox(71)
      expect(sb.up.code, sb.up.stderr).to.equal(0)
      const diff = JSON.parse((await sb.run(['config', 'diff', '--hosts', 'proxy-2', '--json'])).stdout) as {hosts: {path: string}[]}
      live = diff.hosts[0].path
      const v = JSON.parse((await sb.run(['sandbox', 'status', '--json'])).stdout) as View
      proxy2 = v.instances.find((i) => i.name === 'proxy-2')!.id
    })

    after(async () => {
      await monitor?.stop()
      await sb?.down()
    })

    it('with converge new, a hand edit of one proxy is reported once as drift and left; status shows it', async () => {
      const file = await withProxyKeys(sb, 'converge-new.yaml', ['converge: new', 'convergeInterval: 1s'])
      monitor = startMonitor(file)
      await waitFor('a first comparison', () => /"round"/.test(monitor!.output()) || undefined, 20_000)
      await writeFile(live, `${await readFile(live, 'utf8')}# tuned by hand\n`)
      const [drift] = await waitFor('the drift reported', () => {
        const found = coded(monitor!, 'converge.drift', proxy2)
        return found.length > 0 ? found : undefined
      }, 30_000)
      expect(drift.message).to.include('+0 -1 lines').and.include('left as it is')
      // Three more comparisons: the drift stays, and is not reported again.
      const stateFile = path.join(sb.dir, (await readdir(sb.dir)).find((f) => f.startsWith('.hactl-monitor-') && f.endsWith('.json')) as string)
      const checkedAt = async (): Promise<number> => ((JSON.parse(await readFile(stateFile, 'utf8')) as {converge?: {checkedAt?: number}}).converge?.checkedAt ?? 0)
      const first = await checkedAt()
      await waitFor('three more comparisons', async () => ((await checkedAt()) >= first + 3000 ? true : undefined), 30_000)
      expect(coded(monitor, 'converge.drift', proxy2)).to.have.length(1)
      expect(await readFile(live, 'utf8')).to.include('# tuned by hand')
      expect(coded(monitor, 'converge.pushed')).to.deep.equal([])

      const status = await sb.run(['status', '--no-backends'])
      expect(status.stdout).to.match(/drift: proxy-2 \(\+0 -1 lines/)
      expect(status.stdout).to.include('proxy proxy-2 drifts from the source config')
      const json = JSON.parse((await sb.run(['status', '--no-backends', '--json'])).stdout) as {converge: {drift: {label: string; summary: string}[]}}
      expect(json.converge.drift).to.deep.equal([{...json.converge.drift[0], label: 'proxy-2', summary: '+0 -1 lines'}])
    })

    it('with converge all, the drift is pushed back; status no longer shows it', async () => {
      await monitor?.stop()
      const file = await withProxyKeys(sb, 'converge-all.yaml', ['converge: all', 'convergeInterval: 1s'])
      monitor = startMonitor(file)
      await waitFor('the drift pushed back', () => coded(monitor!, 'converge.pushed', proxy2).length > 0 || undefined, 30_000)
      expect(await readFile(live, 'utf8')).to.not.include('# tuned by hand')
      expect((await sb.run(['config', 'diff'])).code).to.equal(0)
      await waitFor('status without drift', async () => {
        const status = await sb.run(['status', '--no-backends'])
        return /every proxy runs the source/.test(status.stdout) ? status : undefined
      }, 30_000)
    })

    it('proxy launch exits 4 and names the proxy when the source cannot be pushed to it; it keeps serving nothing', async () => {
      await monitor?.stop()
      monitor = undefined
      const source = path.join(sb.dir, 'haproxy.cfg')
      const good = await readFile(source, 'utf8')
      await writeFile(source, `${good}\nbackend broken\n    no-such-directive here\n`)
      try {
        const r = await sb.run(['proxy', 'launch', '--count', '4'])
        expect(r.code, r.stdout + r.stderr).to.equal(4)
        expect(r.stdout).to.include('the source config is NOT on proxy-4').and.include('hactl config push --hosts proxy-4')
        expect((await sb.get(`${sb.nets.proxy}.4`)).status).to.equal(503)
      } finally {
        await writeFile(source, good)
      }
    })
  })
})
