/** Flags shared by the commands that reach proxy hosts. */
import {Flags} from '@oclif/core'

export const remoteFlags = {
  hosts: Flags.string({summary: 'Only these proxies, comma-separated names (default: all).', delimiter: ',', multiple: true}),
  'accept-new': Flags.boolean({summary: 'Record the host key of a host never seen before in known_hosts (a changed key is still refused).'}),
}

/** Ask for a key's passphrase on a TTY; undefined off a TTY so the key is skipped. */
export function passphrasePrompt(canPrompt: boolean): ((file: string) => Promise<string | undefined>) | undefined {
  if (!canPrompt) return undefined
  return async (file) => {
    const {password} = await import('@inquirer/prompts')
    return password({message: `Passphrase for ${file}`})
  }
}
