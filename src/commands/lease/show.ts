import {HactlCommand} from '../../base-command.js'
import {showLease, type LeaseReport} from '../../services/lease.js'

export default class LeaseShow extends HactlCommand<typeof LeaseShow> {
  static override summary = 'Show which monitor holds the lease, its fencing token and when it expires.'
  static override description = 'Reads the lease named in failover.lease (DynamoDB on AWS, a lease folder otherwise). Changes nothing.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  public async run(): Promise<LeaseReport> {
    const report = await showLease(await this.cluster(), {profile: this.flags.profile, region: this.flags.region})
    if (report.holder === undefined) {
      this.log(`${report.name}: never taken (${report.where})`)
    } else {
      const seconds = ((report.expiresInMs ?? 0) / 1000).toFixed(1)
      const state = report.held ? `expires in ${seconds} s` : `expired ${seconds.replace('-', '')} s ago: free`
      this.log(`${report.name}: held by ${report.holder}, token ${report.token}, ${state} (${report.expiresAt}; ${report.where})`)
    }
    return report
  }
}
