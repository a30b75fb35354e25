import {HactlCommand} from '../../base-command.js'
import {renderSandbox} from '../../command-support/sandbox-view.js'
import {sandboxStatus, type SandboxView} from '../../sandbox/service.js'

export default class SandboxStatus extends HactlCommand<typeof SandboxStatus> {
  static override summary = 'Show the sandbox: its proxies and their processes, where each Elastic IP points, the DNS record.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> -c sandbox/hactl.yaml --json']

  public async run(): Promise<SandboxView> {
    const view = await sandboxStatus(await this.cluster())
    this.log(renderSandbox(view, this.terminal))
    return view
  }
}
