import {serverStateCommand} from '../../command-support/server-state-command.js'

export default serverStateCommand('enabled', {
  summary: 'Put a drained or disabled server back in service.',
  description: `Removes the "disabled" keyword and any "weight 0" from the server line; a server that had a weight
before it was drained gets that weight back.`,
})
