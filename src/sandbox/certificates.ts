/**
 * A local certificate authority and a server certificate signed by it, made
 * with the openssl command (no dependency): what `sandbox up --tls` serves,
 * and what curl trusts with --cacert. Keys are written 0600 from the first byte.
 */
import {execFile} from 'node:child_process'
import {mkdir, open, rm} from 'node:fs/promises'
import path from 'node:path'

import {UsageError} from '../errors.js'

export interface LocalCertificates {
  caCert: string
  caKey: string
  cert: string
  key: string
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('openssl', args, {cwd, timeout: 30_000}, (error, _stdout, stderr) => {
      if (!error) return resolve()
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new UsageError('the openssl command is not installed; --tls makes its certificates with it', {actions: ['Install it (`sudo apt-get install -y openssl`), or run without --tls.']}))
      }
      reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || error.message}`))
    })
  })
}

/** An empty file only its owner may read, for openssl to fill. */
async function privateFile(file: string): Promise<void> {
  const handle = await open(file, 'w', 0o600)
  await handle.close()
}

/**
 * Make `ca.crt`/`ca.key` and `NAME.crt`/`NAME.key` for `hosts` in `dir`
 * (EC P-256; the CA for `days`, the server certificate a little less).
 */
export async function makeLocalCertificates(dir: string, name: string, hosts: readonly string[], days = 365): Promise<LocalCertificates> {
  await mkdir(dir, {recursive: true, mode: 0o700})
  const files = {caCert: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key'), cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`)}
  const csr = path.join(dir, `${name}.csr`)
  const ext = path.join(dir, `${name}.ext`)
  await privateFile(files.caKey)
  await privateFile(files.key)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  await openssl(['req', '-x509', ...ec, '-keyout', files.caKey, '-out', files.caCert, '-days', String(days), '-subj', '/CN=hactl sandbox local CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
  await openssl(['req', ...ec, '-keyout', files.key, '-out', csr, '-subj', `/CN=${hosts[0]}`], dir)
  const handle = await open(ext, 'w', 0o600)
  await handle.writeFile(`subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`)
  await handle.close()
  await openssl(['x509', '-req', '-in', csr, '-CA', files.caCert, '-CAkey', files.caKey, '-CAcreateserial', '-days', String(Math.max(1, days - 1)), '-extfile', ext, '-out', files.cert], dir)
  await rm(csr, {force: true})
  await rm(ext, {force: true})
  return files
}
