import {HactlCommand} from '../../base-command.js'
import {initLease} from '../../services/lease.js'

export default class LeaseInit extends HactlCommand<typeof LeaseInit> {
  static override summary = 'Create the lease table named in failover.lease (idempotent).'
  static override description = 'On AWS, a DynamoDB table (on-demand billing, key "name"); otherwise the lease folder. Running it again changes nothing.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --region eu-west-1']

  public async run(): Promise<{where: string; created: boolean}> {
    const result = await initLease(await this.cluster())
    this.log(result.created ? `created ${result.where}` : `${result.where} already exists: nothing to do`)
    return result
  }
}
