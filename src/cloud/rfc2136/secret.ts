/**
 * The TSIG secret comes from a file or an environment variable the cluster
 * file names. Messages here name the file, the variable and the key, never
 * the secret or any part of the file's content.
 */
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import path from 'node:path'

import type {Rfc2136DnsSpec} from '../../cluster/dns-rfc2136.js'
import {ConfigError, type SourceLocation} from '../../errors.js'
import {TsigKey} from './tsig.js'

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
/** Bounds what we read: a key file is a few hundred bytes. */
const MAX_FILE = 64 * 1024

export interface SecretSource {
  /** The cluster file, for error locations. */
  location: SourceLocation
  /** Folder a relative secretFile is resolved against (the cluster file's). */
  dir: string
  env?: NodeJS.ProcessEnv
}

export async function loadTsigKey(tsig: Rfc2136DnsSpec['tsig'], source: SecretSource): Promise<TsigKey> {
  const text = tsig.secretFile === undefined ? fromEnv(tsig.secretEnv as string, tsig.keyName, source) : await fromFile(tsig.secretFile, tsig, source)
  const secret = text.replace(/\s+/g, '')
  if (!BASE64.test(secret) || secret.length % 4 !== 0) {
    const where = tsig.secretFile === undefined ? `environment variable ${tsig.secretEnv}` : `file ${tsig.secretFile}`
    throw new ConfigError(`the TSIG secret for key ${tsig.keyName} in ${where} is not base64`, source.location, {
      actions: ['Write the key with `tsig-keygen -a ' + tsig.algorithm + ' ' + tsig.keyName + '` and use its secret, or point secretFile at that output.'],
    })
  }
  return new TsigKey(tsig.keyName, tsig.algorithm, Buffer.from(secret, 'base64'))
}

function fromEnv(name: string, keyName: string, source: SecretSource): string {
  const value = (source.env ?? process.env)[name]
  if (!value?.trim()) {
    throw new ConfigError(`the environment variable ${name}, which should hold the TSIG secret for key ${keyName}, is not set`, source.location, {
      actions: [`Export ${name} with the key's base64 secret before running hactl.`],
    })
  }
  return value
}

async function fromFile(file: string, tsig: Rfc2136DnsSpec['tsig'], source: SecretSource): Promise<string> {
  const full = file === '~' || file.startsWith('~/') ? path.join(homedir(), file.slice(1)) : path.resolve(source.dir, file)
  let text: string
  try {
    const bytes = await readFile(full)
    if (bytes.length > MAX_FILE) throw Object.assign(new Error('too large'), {code: 'EFBIG'})
    text = bytes.toString('utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError(`cannot read the TSIG secret file ${file} for key ${tsig.keyName} (${code})`, source.location, {
      actions: ['Check tsig.secretFile: relative paths are read from the cluster file\'s folder.'],
    })
  }
  // A BIND key statement, as tsig-keygen writes it: key "name" { algorithm X; secret "…"; };
  const statement = /\bsecret\s+"([^"]*)"/.exec(text)
  if (!statement) return text
  const algorithm = /\balgorithm\s+"?([\w-]+)"?\s*;/.exec(text)?.[1]?.toLowerCase()
  if (algorithm && algorithm !== tsig.algorithm) {
    throw new ConfigError(`the key file ${file} is for ${algorithm}, but tsig.algorithm is ${tsig.algorithm}`, source.location, {
      actions: [`Set tsig.algorithm: ${algorithm}, or generate a ${tsig.algorithm} key.`],
    })
  }
  return statement[1]
}
