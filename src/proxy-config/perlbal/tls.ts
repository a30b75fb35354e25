/**
 * TLS for perlbal: a service of its own beside the plain one, the same
 * settings (role reverse_proxy, pool, …) listening on the HTTPS port with
 * `enable_ssl` and the one PEM as both `ssl_key_file` and `ssl_cert_file`.
 * perlbal opens those paths from its working folder and checks they exist
 * when the SET runs, so the text names the absolute path on the hosts
 * (`spec.folder`). It has no SNI: one certificate per listening service.
 * The lines hactl writes start with a marker comment, so `tls remove` takes
 * out exactly them.
 */
import {UsageError} from '../../errors.js'
import type {EditOutcome} from '../engine.js'
import {insertLines, removeLines} from '../lines.js'
import {hostCertificateName, hostCertificatePath, withPort, type TlsBinding, type TlsRemoveSpec, type TlsSpec} from '../tls.js'
import {readModel, type PerlbalDocument, type Service} from './document.js'

const MARK = '# hactl tls: '
const MARKED = /^# hactl tls: ([A-Za-z0-9][A-Za-z0-9._-]*) /

/** IO::Socket::SSL's cipher list: forward secrecy and AEAD only (TLS 1.2; 1.3 suites are OpenSSL's own). */
export const PERLBAL_CIPHERS = 'ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!SHA1'

interface Ours {
  name: string
  marker: number
  service: Service
  /** Last line of the block: its ENABLE, else its last SET. */
  last: number
}

/** The TLS services hactl wrote: a marker line right above CREATE SERVICE. */
function ours(doc: PerlbalDocument): Ours[] {
  const out: Ours[] = []
  for (const service of readModel(doc).services) {
    const marker = MARKED.exec(doc.lines[service.index - 1]?.text ?? '')
    if (!marker) continue
    out.push({name: marker[1], marker: service.index - 1, service, last: Math.max(service.lastSet, service.enableIndex ?? -1)})
  }
  return out
}

function serviceName(name: string): string {
  return `${name.replace(/\W/g, '_')}_tls`
}

function portOf(listen: string | undefined): number | undefined {
  const m = /:(\d+)$/.exec(listen ?? '')
  return m ? Number(m[1]) : /^\d+$/.test(listen ?? '') ? Number(listen) : undefined
}

/** The plain reverse_proxy service to mirror: --frontend, else the one on port 80, else the only one. */
function plainService(doc: PerlbalDocument, spec: TlsSpec, mine: Set<number>): Service {
  const services = readModel(doc).services.filter((s) => !mine.has(s.index))
  if (spec.frontend !== undefined) {
    const named = services.find((s) => s.name === spec.frontend)
    if (!named) throw new UsageError(`${doc.file} has no service "${spec.frontend}"`, {actions: [`Services there: ${services.map((s) => s.name).join(', ') || 'none'}.`]})
    if (named.settings.get('role') !== 'reverse_proxy') {
      throw new UsageError(`service ${named.name} in ${doc.file} is a ${named.settings.get('role') ?? 'role-less'} service, not a reverse_proxy`, {
        actions: ['Pass --frontend with a reverse_proxy service: its TLS twin sends to the same pool.'],
        location: {file: doc.file, line: named.index + 1},
      })
    }
    return named
  }
  const proxies = services.filter((s) => s.settings.get('role') === 'reverse_proxy' && s.settings.has('listen'))
  const web = proxies.filter((s) => portOf(s.settings.get('listen')) === 80)
  if (web.length === 1) return web[0]
  if (web.length === 0 && proxies.length === 1) return proxies[0]
  throw new UsageError(
    proxies.length === 0 ? `${doc.file} has no reverse_proxy service with a listen address to add TLS to` : `${doc.file} has ${web.length || proxies.length} reverse_proxy services${web.length > 1 ? ' on port 80' : ' and none on port 80'}; say which with --frontend`,
    {actions: [proxies.length === 0 ? 'Add one first (hactl init writes a starter config).' : `Pass --frontend with one of: ${(web.length > 1 ? web : proxies).map((s) => s.name).join(', ')}.`]},
  )
}

export function addTls(doc: PerlbalDocument, spec: TlsSpec): EditOutcome {
  if (spec.redirectHttp) {
    throw new UsageError('perlbal cannot answer plain HTTP with a redirect to https: a reverse_proxy service only forwards, and no perlbal setting or stock plugin writes a 301', {
      actions: ['Run tls add again without --redirect-http, and let the application redirect plain requests (perlbal passes X-Forwarded-For, not the scheme: give the TLS pool its own port on the web servers if they must tell).', 'Or terminate TLS on haproxy, nginx or pound, where --redirect-http writes the redirect.'],
    })
  }
  if (spec.minVersion === 'TLSv1.3') {
    throw new UsageError('perlbal has no setting for the lowest TLS version: IO::Socket::SSL and the system OpenSSL decide it (TLS 1.2 on current Debian)', {
      actions: ['Run tls add without --min-version TLSv1.3; --ciphers narrows the TLS 1.2 cipher list.', 'Or terminate TLS on haproxy, nginx or pound, where --min-version TLSv1.3 is written.'],
    })
  }
  if (spec.folder === undefined) throw new Error('perlbal TLS needs the certificate folder on the hosts')
  // A SET value runs to the end of its line: a line break would start another command.
  for (const [what, text] of [['the hosts\' config folder', spec.folder], ['--ciphers', spec.ciphers ?? '']]) {
    if ([...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new UsageError(`${what} holds a control character, which would end the SET line`, {actions: [`Use ${what} without it.`]})
  }
  const pem = hostCertificatePath(spec.folder, spec.name)
  const existing = ours(doc)
  const same = existing.find((o) => o.name === spec.name)
  if (same) {
    const written = [same.service.settings.get('ssl_cert_file'), same.service.settings.get('ssl_key_file')]
    if (written.every((w) => w === pem)) return {changed: false, summary: `service ${same.service.name} already serves ${pem}`}
    throw new UsageError(`service ${same.service.name} (${doc.file}:${same.service.index + 1}) serves ${written[0] ?? 'no certificate'}, not ${pem}`, {
      actions: [`Run hactl tls remove ${spec.name} first, then add it again: the hosts keep their configs in another folder than when it was written.`],
    })
  }
  const plain = plainService(doc, spec, new Set(existing.map((o) => o.service.index)))
  const listen = withPort(plain.settings.get('listen') ?? '0.0.0.0:80', spec.port)
  const clash = existing.find((o) => o.service.settings.get('listen') === listen)
  if (clash) {
    throw new UsageError(`perlbal serves one certificate per service and has no SNI: service ${clash.service.name} already serves ${clash.name} on ${listen}`, {
      actions: [
        `Use one certificate that names every host (its subjectAltName), under one name: hactl tls remove ${clash.name}, then tls add it.`,
        `Or serve ${spec.name} on another port: tls add ${spec.name} … --port N.`,
        'Or terminate TLS on haproxy, nginx or pound, which pick the certificate by SNI.',
      ],
      location: {file: doc.file, line: clash.service.index + 1},
    })
  }
  const name = serviceName(spec.name)
  const taken = readModel(doc).services.find((s) => s.name === name)
  if (taken) throw new UsageError(`${doc.file} already has a service ${name} that hactl did not write`, {actions: [`Rename it, or pick another certificate name than ${spec.name}.`], location: {file: doc.file, line: taken.index + 1}})

  const createText = doc.lines[plain.index].text
  const indent = /^([ \t]*)/.exec(doc.lines[plain.lastSet].text)?.[1] || '  '
  const lower = /^\s*[a-z]/.test(createText)
  const word = (w: string): string => (lower ? w.toLowerCase() : w)
  // The plain service's settings, but its listen; a service's own ssl settings would be replaced.
  const settings = [...plain.settings].filter(([key]) => key !== 'listen' && !key.startsWith('ssl_') && key !== 'enable_ssl')
  const lines = [
    '',
    `${MARK}${spec.name} (https beside service ${plain.name}; tls remove takes these lines out)`,
    `${word('CREATE SERVICE')} ${name}`,
    ...settings.map(([key, value]) => `${indent}${word('SET')} ${key} = ${value}`),
    `${indent}${word('SET')} listen = ${listen}`,
    `${indent}${word('SET')} enable_ssl = on`,
    `${indent}${word('SET')} ssl_key_file = ${pem}`,
    `${indent}${word('SET')} ssl_cert_file = ${pem}`,
    `${indent}${word('SET')} ssl_cipher_list = ${spec.ciphers ?? PERLBAL_CIPHERS}`,
    `${word('ENABLE')} ${name}`,
  ]
  const after = Math.max(plain.lastSet, plain.enableIndex ?? -1, ...existing.filter((o) => o.marker > plain.index).map((o) => o.last))
  insertLines(doc.lines, after, lines, doc.lines[after].eol || doc.eol())
  return {changed: true, summary: `service ${name}: ${listen} with TLS (${pem}), sending to pool ${plain.settings.get('pool') ?? '(none)'} like ${plain.name}`}
}

export function removeTls(doc: PerlbalDocument, spec: TlsRemoveSpec): EditOutcome {
  const found = ours(doc).find((o) => o.name === spec.name)
  if (!found) return {changed: false, summary: `no TLS service of hactl serves ${spec.name}`}
  // The blank line written before the marker goes with it.
  const start = found.marker > 0 && doc.lines[found.marker - 1].text === '' ? found.marker - 1 : found.marker
  removeLines(doc.lines, start, found.last - start + 1)
  return {changed: true, summary: `removed service ${found.service.name} (TLS with ${spec.name})`}
}

export function listTls(doc: PerlbalDocument): TlsBinding[] {
  const out: TlsBinding[] = []
  for (const service of readModel(doc).services) {
    if (!/^(on|1|yes|true)$/i.test(service.settings.get('enable_ssl') ?? '')) continue
    const name = hostCertificateName(service.settings.get('ssl_cert_file') ?? '')
    if (name === undefined) continue
    out.push({name, frontend: service.name, hosts: [], port: portOf(service.settings.get('listen')), line: service.index + 1})
  }
  return out
}
