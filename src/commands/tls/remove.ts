import {Args} from '@oclif/core'

import {ConfigEditCommand} from '../../command-support/config-edit-command.js'
import {editFlags} from '../../command-support/config-flags.js'
import type {EditAndPushResult} from '../../services/edit-and-push.js'
import {removeTls} from '../../services/tls.js'

export default class TlsRemove extends ConfigEditCommand<typeof TlsRemove> {
  static override summary = 'Stop serving a certificate and delete its file.'
  static override description = `Removes hactl-tls/NAME.pem and the lines that serve it (nginx: its ssl_certificate lines and, when
none is left in that server block, the TLS listen line; haproxy: the TLS bind once no certificate is left),
then rolls the config and the certificate folder out together. Removing a certificate that is not there changes nothing.`

  static override examples = ['<%= config.bin %> <%= command.id %> www', '<%= config.bin %> <%= command.id %> www --dry-run']

  static override args = {
    name: Args.string({required: true, description: 'Certificate name.'}),
  }

  static override flags = {...editFlags}

  public async run(): Promise<EditAndPushResult> {
    return this.editWith((common) => removeTls({...common, name: this.args.name}))
  }
}
