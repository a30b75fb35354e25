import {randomBytes} from 'node:crypto'
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {freePort} from './ports.js'
import {startProcess} from './process.js'
import {waitFor} from './wait.js'

const run = promisify(execFile)

export const NAMED_BINARY = '/usr/sbin/named'

export interface NamedKey {
  name: string
  algorithm: 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha512'
  /** Base64, as in a BIND key statement. */
  secret: string
  /** Granted `zonesub A CNAME` in the zone's update-policy; a key without it is known to the server but refused. */
  mayUpdate: boolean
}

export interface Named {
  host: string
  port: number
  zone: string
  keys: NamedKey[]
  dir: string
  /** `dig` against this server: the A values of `name`, sorted (empty when there are none). */
  lookup: (name: string) => Promise<{values: string[]; ttl?: number}>
  /** Change the zone behind hactl's back, signed with `key`, as another operator would with nsupdate; rejects when the update fails. */
  nsupdate: (key: NamedKey, commands: string[]) => Promise<void>
  output: () => string
  stop: () => Promise<void>
}

export interface NamedOptions {
  zone?: string
  keys?: Array<Omit<NamedKey, 'secret'>>
}

const secret = (algorithm: NamedKey['algorithm']): string => randomBytes(algorithm === 'hmac-sha512' ? 64 : 32).toString('base64')

/**
 * A real BIND `named` on 127.0.0.1, primary for one zone that accepts RFC 2136
 * updates signed with the TSIG keys marked `mayUpdate`. Config, zone file and
 * journal live in a temp folder; it runs in the foreground (-g) on a free port.
 */
export async function startNamed(options: NamedOptions = {}): Promise<Named> {
  const zone = (options.zone ?? 'example.test').replace(/\.$/, '')
  const keys: NamedKey[] = (options.keys ?? [{name: 'hactl-test', algorithm: 'hmac-sha256', mayUpdate: true}]).map((k) => ({...k, secret: secret(k.algorithm)}))
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-named-'))
  const port = await freePort()
  const zoneFile = [
    '$TTL 300',
    `@ IN SOA ns.${zone}. admin.${zone}. 1 3600 600 86400 60`,
    `@ IN NS ns.${zone}.`,
    'ns IN A 127.0.0.1',
    'other IN A 192.0.2.99',
  ].join('\n')
  await writeFile(path.join(dir, 'zone.db'), `${zoneFile}\n`)
  const grants = keys.filter((k) => k.mayUpdate).map((k) => `grant ${k.name} zonesub A CNAME;`)
  const config = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${path.join(dir, 'named.pid')}";`,
    `  session-keyfile "${path.join(dir, 'session.key')}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    // No rndc control channel: the system's port 953 and rndc.key are not ours.
    'controls { };',
    ...keys.map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`),
    `zone "${zone}" {`,
    '  type primary;',
    '  file "zone.db";',
    grants.length > 0 ? `  update-policy { ${grants.join(' ')} };` : '  allow-update { none; };',
    '};',
  ].join('\n')
  const configFile = path.join(dir, 'named.conf')
  await writeFile(configFile, `${config}\n`)
  const proc = startProcess(NAMED_BINARY, ['-g', '-c', configFile])

  const dig = async (name: string): Promise<string> =>
    (await run('dig', ['+norecurse', '+noall', '+answer', '+tries=1', '+time=2', '-p', String(port), '@127.0.0.1', name, 'A'])).stdout
  await waitFor(`named on port ${port}: ${proc.output()}`, async () => {
    if (proc.child.exitCode !== null) throw new Error(`named exited: ${proc.output()}`)
    return (await dig(`ns.${zone}`)).includes('127.0.0.1')
  }, 20_000, 100)

  return {
    host: '127.0.0.1',
    port,
    zone: `${zone}.`,
    keys,
    dir,
    async lookup(name) {
      const lines = (await dig(name)).split('\n').filter((l) => /\sIN\s+A\s/.test(l))
      const values = lines.map((l) => l.trim().split(/\s+/).at(-1) as string).sort()
      return {values, ...(lines[0] ? {ttl: Number(lines[0].trim().split(/\s+/)[1])} : {})}
    },
    async nsupdate(key, commands) {
      const hasSend = commands.includes('send')
      const script = [`server 127.0.0.1 ${port}`, `zone ${zone}.`, ...commands, ...(hasSend ? [] : ['send']), ''].join('\n')
      // A key file, as tsig-keygen writes it: -y would show the secret in the process list.
      const keyFile = path.join(dir, `${key.name}.key`)
      await writeFile(keyFile, `key "${key.name}" { algorithm ${key.algorithm}; secret "${key.secret}"; };\n`, {mode: 0o600})
      const child = execFile('nsupdate', ['-k', keyFile])
      let stderr = ''
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
      const done = new Promise<void>((resolve, reject) =>
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nsupdate exited ${code}: ${stderr}`)))),
      )
      child.stdin?.end(script)
      await done
    },
    output: proc.output,
    async stop() {
      await proc.stop()
      await rm(dir, {recursive: true, force: true})
    },
  }
}
