/**
 * `sandbox up --tls`: the sandbox, then a local CA and a certificate for
 * www.sandbox.test, added with `tls add` as a user would (checked, kept
 * beside haproxy.cfg, validated, rolled out to every proxy), so every
 * address answers HTTPS on the TLS port.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import {balancerAddress} from '../cloud/local/paths.js'
import {loadCluster} from '../cluster/loader.js'
import {UsageError} from '../errors.js'
import {servedCertificate} from '../health/tls-probe.js'
import {makeLocalCertificates} from '../sandbox/certificates.js'
import {SANDBOX_NAME} from '../sandbox/files.js'
import {sandboxUp, type UpOptions, type UpResult} from '../sandbox/service.js'
import {addTls} from './tls.js'

export interface TlsUpOptions extends UpOptions {
  tls: boolean
}

export interface TlsUpResult extends UpResult {
  tls?: {ca: string; certificate: string; port: number; summary: string}
}

/** The folder beside hactl.yaml that holds the sandbox's CA and its server certificate. */
export const CA_FOLDER = 'tls-ca'

export async function sandboxUpWithTls(options: TlsUpOptions): Promise<TlsUpResult> {
  const layout = options.tls ? {...options.layout, tlsPort: options.layout.tlsPort ?? 443} : options.layout
  const result = await sandboxUp({...options, layout})
  if (!options.tls || result.dryRun) return result
  const cluster = await loadCluster(result.clusterFile)
  const port = cluster.spec.local.tlsPort
  if (port === undefined) {
    throw new UsageError(`${cluster.file} was written without --tls: its addresses do not forward an HTTPS port`, {
      actions: ['Add `tlsPort: 443` under local: in it, then `hactl sandbox down` and `hactl sandbox up --tls` again.'],
    })
  }
  const host = SANDBOX_NAME.replace(/\.$/, '')
  const caDir = path.join(cluster.dir, CA_FOLDER)
  const made = existsSync(path.join(caDir, 'ca.crt')) && existsSync(path.join(caDir, `${host}.crt`))
    ? {caCert: path.join(caDir, 'ca.crt'), cert: path.join(caDir, `${host}.crt`), key: path.join(caDir, `${host}.key`)}
    : await makeLocalCertificates(caDir, host, [host])
  const added = await addTls({
    cluster,
    name: 'www',
    cert: made.cert,
    key: made.key,
    port,
    redirectHttp: false,
    push: true,
    reporter: options.reporter,
  })
  if (added.rollout && added.rollout.exitCode !== 0) {
    throw new UsageError(`the certificate was added to ${added.file} but did not reach every proxy: ${added.rollout.hosts.filter((h) => h.status !== 'updated' && h.status !== 'unchanged').map((h) => `${h.host} ${h.status}${h.message ? `: ${h.message}` : ''}`).join('; ')}`, {
      actions: [`Roll it out again: hactl config push -c ${cluster.path}`],
    })
  }
  await untilServed(result.instances.map((i) => i.privateAddress).filter((a): a is string => a !== undefined), port, host)
  const ca = path.relative(process.cwd(), made.caCert) || made.caCert
  const curl = `curl --cacert ${ca} https://${host}${port === 443 ? '' : `:${port}`}/ --resolve ${host}:${port}:${cluster.spec.topology === 'nlb' ? balancerAddress(cluster.spec.local) : `${cluster.spec.local.addressNet}.1`}`
  return {...result, tls: {ca: made.caCert, certificate: made.cert, port, summary: added.changed ? added.summary : 'already served'}, next: [curl, ...result.next]}
}

/**
 * A reload (SIGUSR2 to haproxy's master) returns before the new worker
 * listens: wait, bounded, until every proxy completes a handshake on the TLS
 * port, so the curl line printed works at once.
 */
async function untilServed(addresses: readonly string[], port: number, host: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const address of addresses) {
    for (;;) {
      const served = await servedCertificate(address, port, host, 1000)
      if (served.fingerprint) break
      if (Date.now() > deadline) throw new UsageError(`${address}:${port} does not answer TLS: ${served.error ?? 'no certificate'}`, {actions: ['See the proxy\'s haproxy.log under the sandbox folder.']})
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
