import {HactlCommand} from '../../base-command.js'
import {showLease, type LeaseReport} from '../../services/lease.js'

function describeLease(r: LeaseReport): string {
  const seconds = (ms: number): string => (Math.abs(ms) / 1000).toFixed(1)
  switch (r.state) {
    case 'free':
      return `never taken (${r.where})`
    case 'released':
      return `free: released by ${r.holder}, token ${r.token} (the next holder gets a larger one; ${r.where})`
    case 'expired':
      return `free: held by ${r.holder}, token ${r.token}, until it expired ${seconds(r.expiresInMs ?? 0)} s ago (${r.expiresAt}; ${r.where})`
    case 'held':
      return `held by ${r.holder}, token ${r.token}, expires in ${seconds(r.expiresInMs ?? 0)} s (${r.expiresAt}; ${r.where})`
  }
}

export default class LeaseShow extends HactlCommand<typeof LeaseShow> {
  static override summary = 'Show which monitor holds the lease, its fencing token and when it expires.'
  static override description = 'Reads the lease named in failover.lease (DynamoDB on AWS, a lease folder otherwise). Changes nothing.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<LeaseReport> {
    const report = await showLease(await this.cluster())
    this.log(`${report.name}: ${describeLease(report)}`)
    return report
  }
}
