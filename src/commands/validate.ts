import {HactlCommand} from '../base-command.js'
import {validateCluster, type ValidateReport} from '../services/validate.js'

export default class Validate extends HactlCommand<typeof Validate> {
  static override summary = 'Check the cluster file and the proxy config it names.'
  static override description = `Reports every problem as FILE:LINE:COL: message and exits 2; exits 0 when both files are sound.
The proxy config is also checked with the proxy's own validator when its binary is installed here (haproxy -c,
nginx -t, a perlbal trial start; pound structurally): a rejection exits 3 with the validator's own lines. Without
the binary that check is reported as skipped. Nothing is changed, nothing is contacted.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c clusters/prod.yaml',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  public async run(): Promise<ValidateReport> {
    const report = await validateCluster(await this.cluster())
    const where = `provider ${report.provider}, engine ${report.engine}`
    this.log(
      report.skipped
        ? `${this.flags.cluster}: ${report.checks.join(', ')} ok; ${report.skipped.validator} skipped: ${report.skipped.reason} (${where})`
        : `${this.flags.cluster}: ok (${report.checks.join(', ')}; ${where})`,
    )
    return report
  }
}
