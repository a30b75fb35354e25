import {serverStateCommand} from '../../command-support/server-state-command.js'

export default serverStateCommand('disabled', {
  summary: 'Put a server in maintenance: it takes no traffic at all.',
  description: `Writes HAProxy's "disabled" keyword on the server line. "backend enable" removes it again.`,
})
