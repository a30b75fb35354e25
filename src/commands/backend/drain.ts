import {serverStateCommand} from '../../command-support/server-state-command.js'

export default serverStateCommand('drain', {
  summary: 'Drain a server: no new load-balanced traffic, current sessions finish.',
  description: `Writes "weight 0" on the server line (HAProxy has no config keyword for drain). Persistent clients
keep reaching it. "backend enable" removes it again, giving back the line as it was.`,
})
