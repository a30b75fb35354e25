import {HactlCommand} from '../../base-command.js'
import {sandboxDown, type DownResult} from '../../sandbox/service.js'

export default class SandboxDown extends HactlCommand<typeof SandboxDown> {
  static override summary = 'Stop every process the sandbox started; keep hactl.yaml, haproxy.cfg and the log.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> -c sandbox/hactl.yaml']

  public async run(): Promise<DownResult> {
    const result = await sandboxDown(await this.cluster(), this.reporter, this.flags['dry-run'])
    const verb = this.flags['dry-run'] ? 'would stop' : 'stopped'
    if (!result.wasRunning) this.log('no sandbox is running: nothing to stop')
    else this.log(`${verb} the supervisor${result.supervisorPid ? ` (pid ${result.supervisorPid})` : ''} and ${result.stoppedProxies.length} proxies`)
    return result
  }
}
