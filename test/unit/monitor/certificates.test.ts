import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {expect} from 'chai'

import {parseCluster} from '../../../src/cluster/loader.js'
import {MemoryReporter} from '../../../src/events.js'
import {ec2Judge} from '../../../src/health/judge.js'
import {certificateAlerts} from '../../../src/monitor/certificates.js'
import {runMonitor} from '../../../src/monitor/loop.js'
import type {RoundLog} from '../../../src/monitor/events.js'
import {readState} from '../../../src/monitor/state.js'
import {sourceCertificates} from '../../../src/services/monitor.js'
import {addTls} from '../../../src/services/tls.js'
import {makeLocalCertificates} from '../../../src/sandbox/certificates.js'
import {FakeProvider} from '../../harness/fake-provider.js'
import {providerRunner, SETTINGS, tempDir, World} from '../../harness/monitor-world.js'

const DAY = 86_400_000
/** Noon UTC, so a few hours either way stay on the same day. */
const NOON = Date.parse('2026-03-10T12:00:00Z')
const inDays = (days: number): string => new Date(NOON + days * DAY).toISOString()

function log(): RoundLog & {events: MemoryReporter['events']} {
  const memory = new MemoryReporter()
  return {round: '', events: memory.events, emit: (event) => memory.emit(event)}
}

describe('monitor: certificate expiry from the source', () => {
  const settings = {...SETTINGS, tlsWarnDays: 21}

  it('alerts a certificate within tls.warnDays once a UTC day, and again the next day', async () => {
    const world = new World(FakeProvider.pool(2), settings)
    world.now = NOON
    world.certificates = async () => [
      {name: 'www', notAfter: inDays(10)},
      {name: 'api', notAfter: inDays(200)},
    ]
    const first = await world.round()
    expect(first.outcome.certificateAlerts).to.equal(1)
    expect(world.codes('tls.expiry')).to.deep.equal([`certificate www expires in 9 days (${inDays(10)}; tls.warnDays 21): renew it and run tls add again`])
    expect(world.state.certificateAlerts).to.deep.equal({www: '2026-03-10'})
    expect(world.state.lastActions.at(-1)).to.include({kind: 'alert', outcome: 'alert'})
    // An expiry alert is not a failover that could not be healed.
    expect(first.outcome.alerts).to.equal(0)

    await world.rounds_(30, 60_000)
    expect(world.codes('tls.expiry'), 'the same day: no second alert').to.have.length(1)

    world.now = NOON + DAY
    await world.round()
    expect(world.codes('tls.expiry')).to.have.length(2)
    expect(world.state.certificateAlerts).to.deep.equal({www: '2026-03-11'})
  })

  it('says expired for a certificate past its date, and forgets a renewed one', async () => {
    const world = new World(FakeProvider.pool(2), settings)
    world.now = NOON
    let notAfter = inDays(-3)
    world.certificates = async () => [{name: 'www', notAfter}]
    await world.round()
    expect(world.codes('tls.expiry')).to.deep.equal([`certificate www expired on ${inDays(-3)}: renew it and run tls add again`])

    notAfter = inDays(365)
    await world.round()
    expect(world.codes('tls.expiry')).to.have.length(1)
    expect(world.state.certificateAlerts).to.deep.equal({})
  })

  it('keeps what it alerted when the source cannot be read this round', async () => {
    const world = new World(FakeProvider.pool(2), settings)
    world.now = NOON
    let fail = false
    world.certificates = async () => {
      if (fail) throw new Error('EACCES')
      return [{name: 'www', notAfter: inDays(1)}]
    }
    await world.round()
    fail = true
    await world.round()
    fail = false
    await world.round()
    expect(world.codes('tls.expiry')).to.have.length(1)
    expect(world.state.certificateAlerts).to.deep.equal({www: '2026-03-10'})
  })

  it('a restart the same day (a second --once run over the state file) does not alert again', async () => {
    const dir = await tempDir('hactl-monitor-tls-')
    const stateFile = path.join(dir, 'state.json')
    const provider = FakeProvider.pool(2)
    const logs = [log(), log(), log()]
    let now = NOON
    const once = async (i: number): Promise<unknown> =>
      runMonitor({once: true, intervalMs: 1000, stateFile}, settings, {
        provider,
        judge: ec2Judge,
        run: providerRunner(provider),
        log: logs[i],
        clock: () => now,
        certificates: async () => [{name: 'www', notAfter: inDays(5)}],
      })
    await once(0)
    now += 3_600_000
    await once(1)
    const alerts = (i: number): number => logs[i].events.filter((e) => e.code === 'tls.expiry').length
    expect([alerts(0), alerts(1)]).to.deep.equal([1, 0])
    expect((await readState(stateFile)).certificateAlerts).to.deep.equal({www: '2026-03-10'})
    now += DAY
    await once(2)
    expect(alerts(2)).to.equal(1)
  })

  it('refuses a state file whose alert record is not a day', async () => {
    const dir = await tempDir('hactl-monitor-tls-bad-')
    const stateFile = path.join(dir, 'state.json')
    await writeFile(stateFile, JSON.stringify({version: 1, certificateAlerts: {www: 'yesterday'}}))
    const error = await readState(stateFile).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(error?.message).to.include('certificateAlerts')
  })

  it('judges the days against the monitor clock', () => {
    expect(certificateAlerts([{name: 'a', notAfter: inDays(21)}], {}, NOON, 21).alerts).to.deep.equal([])
    expect(certificateAlerts([{name: 'a', notAfter: inDays(20)}], {}, NOON, 21).alerts.map((a) => a.daysLeft)).to.deep.equal([20])
    expect(certificateAlerts([{name: 'a'}], {}, NOON, 21).alerts, 'an unreadable file is status\'s to report').to.deep.equal([])
  })
})

describe('monitor: the certificates of a real source config', function () {
  this.timeout(60_000)

  it('reads hactl-tls/ beside the config as status does, without a connection', async () => {
    const dir = await tempDir('hactl-monitor-tls-src-')
    const config = path.join(dir, 'haproxy.cfg')
    await writeFile(
      config,
      'global\n    maxconn 100\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend www\n    bind 127.0.0.1:80\n    default_backend web\n\nbackend web\n    server web1 127.0.0.1:8081\n',
    )
    const cluster = parseCluster(`cluster: web\nprovider: aws\nproxy: {engine: haproxy, config: ./haproxy.cfg}\n`, path.join(dir, 'hactl.yaml'))
    expect(await sourceCertificates(cluster)()).to.deep.equal([])

    await mkdir(path.join(dir, 'ca'))
    const www = await makeLocalCertificates(path.join(dir, 'ca'), 'www', ['www.example.com'], 10)
    await addTls({cluster, engine: 'haproxy', name: 'www', cert: www.cert, key: www.key, redirectHttp: false, push: false, validate: false, reporter: new MemoryReporter()})
    const read = sourceCertificates(cluster)
    const certificates = await read()
    expect(certificates.map((c) => c.name)).to.deep.equal(['www'])
    const left = (Date.parse(certificates[0].notAfter ?? '') - Date.now()) / DAY
    expect(left).to.be.within(8, 11)
  })
})
