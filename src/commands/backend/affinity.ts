import {Args, Flags} from '@oclif/core'

import {ConfigEditCommand} from '../../command-support/config-edit-command.js'
import {editFlags} from '../../command-support/config-flags.js'
import {UsageError} from '../../errors.js'
import {DEFAULT_AFFINITY_COOKIE} from '../../proxy-config/engine.js'
import type {EditAndPushResult} from '../../services/edit-and-push.js'

export default class BackendAffinity extends ConfigEditCommand<typeof BackendAffinity> {
  static override summary = 'Keep each client on one server of a backend (session affinity), or stop doing so.'
  static override description = `cookie: haproxy inserts a cookie naming the server (cookie NAME insert indirect nocache, a cookie
value on every server, option redispatch); a client whose server is removed or down goes to another and gets
its cookie. nginx hashes on a cookie the application sets (hash $cookie_NAME consistent); pound keeps a
Session of Type COOKIE. source: by client address (haproxy balance source, nginx ip_hash, pound Session Type IP).
off: removes what the other two write. perlbal has no affinity: asking for it exits 2.
Running it again changes nothing; the result is validated and rolled out like backend add.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> web cookie',
    '<%= config.bin %> <%= command.id %> web cookie --cookie JSESSIONID --dry-run',
    '<%= config.bin %> <%= command.id %> web source --file ./nginx.conf',
    '<%= config.bin %> <%= command.id %> web off',
  ]

  static override args = {
    backend: Args.string({required: true, description: 'Backend (or listen section, upstream, Service) name.'}),
    mode: Args.string({required: true, options: ['cookie', 'source', 'off'], description: 'cookie, source or off.'}),
  }

  static override flags = {
    ...editFlags,
    cookie: Flags.string({summary: `Cookie name for cookie mode (default ${DEFAULT_AFFINITY_COOKIE}).`}),
  }

  public async run(): Promise<EditAndPushResult> {
    const mode = this.args.mode as 'cookie' | 'off' | 'source'
    if (this.flags.cookie !== undefined && mode !== 'cookie') throw new UsageError('--cookie goes with cookie mode only', {actions: [`Drop --cookie, or run: backend affinity ${this.args.backend} cookie --cookie ${this.flags.cookie}`]})
    return this.edit({op: 'set-affinity', spec: {backend: this.args.backend, mode, cookie: this.flags.cookie}})
  }
}
