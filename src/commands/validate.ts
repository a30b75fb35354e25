import {HactlCommand} from '../base-command.js'
import {validateCluster, type ValidateReport} from '../services/validate.js'

export default class Validate extends HactlCommand<typeof Validate> {
  static override summary = 'Check the cluster file and the proxy config it names.'
  static override description = `Reports every problem as FILE:LINE:COL: message and exits 2; exits 0 when both files are sound.
Nothing is changed, nothing is contacted.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c clusters/prod.yaml',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  public async run(): Promise<ValidateReport> {
    const report = await validateCluster(this.flags.cluster)
    this.log(`${this.flags.cluster}: ok (${report.checks.join(', ')}; provider ${report.provider}, engine ${report.engine})`)
    return report
  }
}
