import {Flags} from '@oclif/core'

import {HactlCommand} from '../../base-command.js'
import {sourceFlags, sourceOptions} from '../../command-support/config-flags.js'
import type {RouteInfo} from '../../proxy-config/engine.js'
import {listRoutes, type RouteList} from '../../services/config-list.js'
import {renderTable} from '../../ui/table.js'

export default class ListRoutes extends HactlCommand<typeof ListRoutes> {
  static override summary = 'List the host and path routing rules.'
  static override description = `Rules that send a Host header (hdr(host) and its variants) or a path prefix (path_beg) to a
backend, written inline or through named acl lines. Other use_backend conditions are not shown.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --frontend www --json']

  static override flags = {
    ...sourceFlags,
    frontend: Flags.string({summary: 'Only the rules of this frontend (or listen section).'}),
  }

  public async run(): Promise<RouteList> {
    const result = await listRoutes({...(await sourceOptions(this.flags, () => this.cluster())), frontend: this.flags.frontend})
    this.log(
      renderTable<RouteInfo>(
        result.routes,
        [
          {header: 'frontend', get: (r) => r.frontend},
          {header: 'kind', get: (r) => r.kind},
          {header: 'match', get: (r) => r.match},
          {header: 'backend', get: (r) => r.backend},
          {header: 'line', get: (r) => r.line},
        ],
        this.terminal,
      ),
    )
    return result
  }
}
