import {Args, Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sourceFlags, sourceOptions} from '../../command-support/config-flags.js'
import type {Affinity, ServerInfo} from '../../proxy-config/engine.js'
import {listBackends, type BackendList} from '../../services/config-list.js'
import {liveServers, type LiveServer, type LiveServers} from '../../services/runtime-state.js'
import {renderTable} from '../../ui/table.js'

export default class ListBackends extends HactlCommand<typeof ListBackends> {
  static override summary = 'List backends and their servers.'
  static override description = `One line per server: backend, name, address, port, state (enabled, drain, disabled), weight,
backup, the line of the config it is on, and the backend's session affinity (cookie:NAME, source, off). Piped, the columns are tab-separated without a header.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> web --file /etc/haproxy/haproxy.cfg',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  static override args = {
    backend: Args.string({description: 'Only this backend.'}),
  }

  static override flags = {
    ...sourceFlags,
    live: Flags.boolean({summary: "Each proxy's runtime view of its servers (HAProxy runtime API over SSH) instead of the config.", exclusive: ['file']}),
    'accept-new': Flags.boolean({summary: 'With --live: record the host key of a host never seen before.'}),
  }

  public async run(): Promise<BackendList | LiveServers> {
    if (this.flags.live) {
      const live = await liveServers(await this.cluster(), {backend: this.args.backend, acceptNew: this.flags['accept-new']})
      this.log(
        renderTable<LiveServer>(
          live.servers,
          [
            {header: 'host', get: (s) => s.host},
            {header: 'backend', get: (s) => s.backend},
            {header: 'server', get: (s) => s.server},
            {header: 'address', get: (s) => s.address},
            {header: 'port', get: (s) => s.port},
            {header: 'status', get: (s) => s.operational},
            {header: 'admin', get: (s) => s.admin},
            {header: 'weight', get: (s) => s.weight},
          ],
          this.terminal,
        ),
      )
      for (const u of live.unreachable) this.warn(`${u.host}: ${u.message}`)
      return this.finish(live, live.unreachable.length > 0 ? 5 : 0)
    }

    const result = await listBackends({...(await sourceOptions(this.flags, () => this.cluster())), backend: this.args.backend})
    const affinity = new Map(result.backends.map((b) => [b.name, b.affinity]))
    const rows = result.backends.flatMap((b) => b.servers)
    this.log(
      renderTable<ServerInfo>(
        rows,
        [
          {header: 'backend', get: (s) => s.backend},
          {header: 'server', get: (s) => s.name},
          {header: 'address', get: (s) => s.address},
          {header: 'port', get: (s) => s.port},
          {header: 'state', get: (s) => s.state},
          {header: 'weight', get: (s) => s.weight},
          {header: 'backup', get: (s) => (s.backup ? 'yes' : 'no')},
          {header: 'line', get: (s) => s.line},
          // Last, so scripts that read the columns before it by position keep working.
          {header: 'affinity', get: (s) => showAffinity(affinity.get(s.backend))},
        ],
        this.terminal,
      ),
    )
    return result
  }
}

/** `cookie:SERVERID`, `source`, `off`, `other`. */
function showAffinity(affinity: Affinity | undefined): string {
  if (!affinity) return 'off'
  return affinity.mode === 'cookie' ? `cookie:${affinity.cookie ?? ''}` : affinity.mode
}
