import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ec2Judge, type HealthJudge} from '../../src/health/judge.js'
import type {LeaseKeeper} from '../../src/monitor/lease.js'
import {executorRunner, type ActionRunner} from '../../src/monitor/actions.js'
import {runRound, type MonitorSettings} from '../../src/monitor/round.js'
import type {SourceCertificate} from '../../src/monitor/certificates.js'
import type {ReplaceDeps} from '../../src/monitor/replace.js'
import {emptyState, type MonitorState} from '../../src/monitor/state.js'
import {MemoryReporter} from '../../src/events.js'
import {FakeProvider} from './fake-provider.js'

/** The real executor over the fake cloud. */
export function providerRunner(provider: FakeProvider): ActionRunner {
  return executorRunner(provider, {verifyTimeoutMs: 500})
}

export const SETTINGS: MonitorSettings = {topology: 'pool', rise: 2, fall: 2, holdDownMs: 60_000, maxRemapsPerHour: 10, rebalance: 'auto', dns: {name: 'www.example.test.', ttl: 30}}

/** A fake cloud, a clock and the monitor's state, driven one round at a time. */
export class World {
  now = 1_000_000
  state: MonitorState = emptyState()
  reporter = new MemoryReporter()
  rounds = 0
  lease?: LeaseKeeper
  /** What this monitor sees; the cloud's word by default. */
  judge: HealthJudge = ec2Judge
  /** The source's certificates, when a test gives the monitor some. */
  certificates?: () => Promise<readonly SourceCertificate[]>
  /** failover.replace's launch, push and terminate, when a test gives the monitor some. */
  replace?: ReplaceDeps

  constructor(
    readonly provider: FakeProvider,
    readonly settings: MonitorSettings = SETTINGS,
  ) {}

  async round(stepMs = 1000): Promise<Awaited<ReturnType<typeof runRound>>> {
    this.now += stepMs
    const result = await runRound(this.state, `r${++this.rounds}`, this.settings, {
      provider: this.provider,
      dns: this.provider,
      judge: this.judge,
      run: providerRunner(this.provider),
      reporter: this.reporter,
      clock: () => this.now,
      lease: this.lease,
      ...(this.certificates ? {certificates: this.certificates} : {}),
      ...(this.replace ? {replace: this.replace} : {}),
    })
    this.state = result.state
    return result
  }

  async rounds_(n: number, stepMs = 1000): Promise<void> {
    for (let i = 0; i < n; i++) await this.round(stepMs)
  }

  codes(code: string): string[] {
    return this.reporter.events.filter((e) => e.code === code).map((e) => e.message)
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix))
}
