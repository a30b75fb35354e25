import {HactlCommand} from '../base-command.js'
import {iamPolicy, type IamPolicy} from '../services/iam-policy.js'

export default class IamPolicyCommand extends HactlCommand<typeof IamPolicyCommand> {
  static override summary = "Print the least-privilege IAM policy for the cluster's commands."
  static override description = `Describes are allowed on all resources (EC2 cannot limit them by tag); every change is limited to
resources tagged hactl:cluster=<cluster>, and new instances and addresses must carry that tag.`

  static override examples = ['<%= config.bin %> <%= command.id %> > hactl-policy.json']

  public async run(): Promise<IamPolicy> {
    const policy = iamPolicy((await this.cluster()).spec)
    this.log(JSON.stringify(policy, null, 2))
    return policy
  }
}
