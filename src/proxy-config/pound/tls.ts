/**
 * TLS for pound: a `ListenHTTPS` beside the plain `ListenHTTP`, one `Cert`
 * line per certificate (pound picks by SNI from each certificate's names;
 * the first is the default), protocols below TLS 1.2 disabled, a modern
 * cipher list. pound opens the PEM from its working folder, so the text
 * names the absolute path on the hosts (`spec.folder`).
 *
 * Both listeners must reach the same Services. Services at the top level are
 * shared by every listener, so the plain listener's own Services move out of
 * it (verbatim but one level less indented), between two marker comments,
 * and a marker stays where they were; `tls remove` of the last certificate
 * puts them back and gives the original bytes. `--redirect-http` puts one
 * Service per host in the plain listener that answers with a 301 to https
 * (a listener's own Services come before the shared ones).
 */
import {UsageError} from '../../errors.js'
import type {EditOutcome} from '../engine.js'
import {formatEndpoint} from '../endpoint.js'
import {indentation, insertLines, removeLines, type Line} from '../lines.js'
import {hostCertificateName, hostCertificatePath, type TlsBinding, type TlsRemoveSpec, type TlsSpec} from '../tls.js'
import {parsePoundTree, type PoundBlock, type PoundDocument, type PoundTree} from './document.js'

const LISTENER_MARK = '# hactl tls: HTTPS listener; tls remove of its last certificate takes it out'
const LEFT_MARK = "# hactl tls: this listener's Services are at the top level, below, shared with ListenHTTPS"
/** Said instead when the Services could not be dedented (odd indentation) and moved as written. */
const LEFT_AS_WRITTEN = `${LEFT_MARK} (moved as written)`
const MOVED_MARK = '# hactl tls: Services moved out of ListenHTTP'
const MOVED_END = '# hactl tls: end of the moved Services'

/** The name of a Service hactl writes for --redirect-http, before its host. */
const REDIRECT_PREFIX = 'hactl-https-redirect '

/** What `Ciphers` says unless --ciphers does: forward secrecy and AEAD only (TLS 1.2; OpenSSL picks the 1.3 suites). */
export const POUND_CIPHERS = 'ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!SHA1'

/** Listener statements the HTTPS twin copies from the plain one (not its address, nor what only ListenHTTP takes). */
const NOT_COPIED = new Set(['ADDRESS', 'PORT', 'XHTTP'])

const isMark = (line: Line | undefined, mark: string): boolean => line?.text.trim() === mark

function statementValue(block: PoundBlock, keyword: string): string | undefined {
  return block.statements.find((s) => s.keyword === keyword)?.words[1]?.value
}

function listenerLabel(block: PoundBlock): string {
  const port = Number(statementValue(block, 'PORT')) || undefined
  return formatEndpoint(statementValue(block, 'ADDRESS') ?? '*', port)
}

/** hactl's ListenHTTPS: the one right below its marker. */
function ourListener(doc: PoundDocument, tree: PoundTree): PoundBlock | undefined {
  return tree.root.blocks.find((b) => b.keyword === 'LISTENHTTPS' && isMark(doc.lines[b.index - 1], LISTENER_MARK))
}

/** The plain listener: --frontend (ADDRESS:PORT or its name), else the one on port 80, else the only one. */
function plainListener(doc: PoundDocument, tree: PoundTree, spec: TlsSpec): PoundBlock {
  const all = tree.root.blocks.filter((b) => b.keyword === 'LISTENHTTP')
  const names = all.map((b) => listenerLabel(b))
  if (spec.frontend !== undefined) {
    const named = all.find((b, i) => names[i] === spec.frontend || b.words[1]?.value === spec.frontend)
    if (!named) throw new UsageError(`${doc.file} has no ListenHTTP "${spec.frontend}"`, {actions: [`Listeners there: ${names.join(', ') || 'none'}.`]})
    return named
  }
  const web = all.filter((b) => statementValue(b, 'PORT') === '80')
  if (web.length === 1) return web[0]
  if (web.length === 0 && all.length === 1) return all[0]
  throw new UsageError(all.length === 0 ? `${doc.file} has no ListenHTTP to add TLS beside` : `${doc.file} has ${web.length || all.length} ListenHTTP blocks${web.length > 1 ? ' on port 80' : ' and none on port 80'}; say which with --frontend`, {
    actions: [all.length === 0 ? 'Add one first (hactl init writes a starter config).' : `Pass --frontend with one of: ${names.join(', ')}.`],
  })
}

/** The indentation one level deeper than a block's own line. */
function unitOf(doc: PoundDocument, block: PoundBlock): string {
  const first = block.statements[0] ?? block.blocks[0]
  const outer = indentation(doc.lines[block.index].text)
  const inner = first ? indentation(doc.lines[first.index].text) : ''
  return inner.startsWith(outer) && inner.length > outer.length ? inner.slice(outer.length) : '    '
}

/** Lines from..to with `prefix` taken off (or put back) after `keep`, when every non-empty line allows it. */
function shift(lines: Line[], keep: string, prefix: string, out: boolean): boolean {
  const can = lines.every((l) => l.text === '' || (out ? l.text.startsWith(keep + prefix) : l.text.startsWith(keep)))
  if (!can) return false
  for (const l of lines) if (l.text !== '') l.text = out ? keep + l.text.slice(keep.length + prefix.length) : keep + prefix + l.text.slice(keep.length)
  return true
}

/** Put Line objects (each keeps its own line ending) after `after`, keeping a missing final newline missing. */
function placeLines(doc: PoundDocument, after: number, moved: Line[]): void {
  const previous = doc.lines[after]
  if (previous && previous.eol === '' && after === doc.lines.length - 1 && moved.length > 0) {
    previous.eol = moved.at(-1)!.eol || doc.eol()
    moved.at(-1)!.eol = ''
  }
  doc.lines.splice(after + 1, 0, ...moved)
}

function redirectLines(tree: PoundTree, spec: TlsSpec, indent: string, unit: string): string[] {
  const odd = spec.hosts.find((h) => !h.includes('*') && !/^[A-Za-z0-9.-]+$/.test(h))
  if (odd !== undefined) throw new UsageError(`"${odd}" is not a host name pound can redirect to`, {actions: ['Pass --hosts with plain DNS names (letters, digits, dots, dashes).']})
  const wild = spec.hosts.filter((h) => h.includes('*'))
  if (wild.length > 0 || spec.hosts.length === 0) {
    throw new UsageError(`pound redirects to a fixed URL, and ${wild.length > 0 ? `${wild.join(', ')} names no one host` : 'no host was given'}`, {
      actions: ['Pass --hosts with the exact names to redirect (a wildcard certificate covers them), or add it without --redirect-http.'],
    })
  }
  const pound4 = tree.blocks.some((b) => ['HOST', 'PATH', 'USE'].some((k) => b.statements.some((s) => s.keyword === k)) || b.keyword === 'REWRITE')
  const port = spec.port === 443 ? '' : `:${spec.port}`
  return spec.hosts.flatMap((host) => [
    `${indent}Service "${REDIRECT_PREFIX}${host}"`,
    // Bracket expressions, not backslashes: pound 2 passes quoted text to regcomp as written, pound 4 reads escapes.
    pound4 ? `${indent}${unit}Host "${host}"` : `${indent}${unit}HeadRequire "^Host:[[:space:]]*${host.replace(/\./g, '[.]')}(:[0-9]+)?$"`,
    // With no path in the URL pound appends the request's own.
    `${indent}${unit}Redirect 301 "https://${host}${port}"`,
    `${indent}End`,
  ])
}

/** A Service hactl wrote for --redirect-http: a host match and a Redirect to https, nothing else; no backend. */
export function isRedirectService(block: PoundBlock): boolean {
  if (block.keyword !== 'SERVICE' || !block.words[1]?.value.startsWith(REDIRECT_PREFIX) || block.blocks.length > 0 || block.statements.length !== 2) return false
  const [match, redirect] = block.statements
  return ['HEADREQUIRE', 'HOST'].includes(match.keyword) && redirect.keyword === 'REDIRECT' && (redirect.words.at(-1)?.value.startsWith('https://') ?? false)
}

export function addTls(doc: PoundDocument, spec: TlsSpec): EditOutcome {
  if (spec.folder === undefined) throw new Error('pound TLS needs the certificate folder on the hosts')
  // Both go inside a quoted string pound 2 reads without escapes.
  for (const [what, text] of [['the hosts\' config folder', spec.folder], ['--ciphers', spec.ciphers ?? '']]) {
    if ([...text].some((c) => c === '"' || c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new UsageError(`${what} "${text}" holds a quote, backslash or control character, which a pound config cannot quote`, {actions: [`Use ${what} without them.`]})
  }
  const pem = hostCertificatePath(spec.folder, spec.name)
  const tree = parsePoundTree(doc)
  const existing = ourListener(doc, tree)
  if (existing) {
    const certs = existing.statements.filter((s) => s.keyword === 'CERT')
    if (certs.some((c) => c.words[1]?.value === pem)) return {changed: false, summary: `ListenHTTPS ${listenerLabel(existing)} already serves ${pem}`}
    const same = certs.find((c) => hostCertificateName(c.words[1]?.value ?? '') === spec.name)
    if (same) {
      throw new UsageError(`ListenHTTPS in ${doc.file}:${same.index + 1} serves ${same.words[1].value}, not ${pem}`, {
        actions: [`Run hactl tls remove ${spec.name} first, then add it again: the hosts keep their configs in another folder than when it was written.`],
      })
    }
    const last = certs.at(-1) ?? existing
    const line = doc.lines[last.index].text
    const text = certs.length > 0 ? `${line.slice(0, last.words[1]?.start ?? line.length)}"${pem}"` : `${indentation(line)}${unitOf(doc, existing)}Cert "${pem}"`
    insertLines(doc.lines, last.index, [text], doc.lines[last.index].eol || doc.eol())
    return {changed: true, summary: `ListenHTTPS ${listenerLabel(existing)}: Cert ${pem} (picked by SNI from its names)`}
  }

  const plain = plainListener(doc, tree, spec)
  const eol = doc.lines[plain.index].eol || doc.eol()
  const outer = indentation(doc.lines[plain.index].text)
  const unit = unitOf(doc, plain)
  const inner = outer + unit
  const done: string[] = []
  const copied = plain.statements.filter((s) => !NOT_COPIED.has(s.keyword)).map((s) => {
    const text = doc.lines[s.index].text
    return `${inner}${text.slice(s.words[0].start, s.words.at(-1)!.end)}`
  })
  const https = [
    '',
    LISTENER_MARK,
    `${outer}ListenHTTPS`,
    `${inner}Address ${statementValue(plain, 'ADDRESS') ?? '0.0.0.0'}`,
    `${inner}Port ${spec.port}`,
    `${inner}xHTTP ${statementValue(plain, 'XHTTP') ?? '0'}`,
    ...copied,
    `${inner}Cert "${pem}"`,
    `${inner}Disable SSLv3`,
    `${inner}Disable TLSv1`,
    `${inner}Disable TLSv1_1`,
    ...(spec.minVersion === 'TLSv1.3' ? [`${inner}Disable TLSv1_2`] : []),
    `${inner}Ciphers "${spec.ciphers ?? POUND_CIPHERS}"`,
    `${outer}End`,
  ]

  // The plain listener's Services move to the top level: cut them out, leave the marker.
  const services = plain.blocks.filter((b) => b.keyword === 'SERVICE')
  let moved: Line[] = []
  if (services.length > 0) {
    const from = services[0].index
    const to = services.at(-1)!.endIndex
    const between = plain.statements.find((s) => s.index > from && s.index < to)
    if (between) {
      throw new UsageError(`ListenHTTP ${listenerLabel(plain)} in ${doc.file} has ${between.words[0].value} (line ${between.index + 1}) between its Services`, {
        actions: ['Move its Services to the end of the listener (or to the top level, where every listener shares them), then run tls add again.'],
        location: {file: doc.file, line: between.index + 1},
      })
    }
    const cut = doc.lines.splice(from, to - from + 1)
    const dedent = shift(cut, outer, unit, true)
    doc.lines.splice(from, 0, {text: `${inner}${dedent ? LEFT_MARK : LEFT_AS_WRITTEN}`, eol: cut.at(-1)!.eol || eol})
    moved = [{text: MOVED_MARK, eol}, ...cut.map((l) => ({...l})), {text: MOVED_END, eol}]
    done.push(`its ${services.length} Service${services.length === 1 ? '' : 's'} moved to the top level`)
  }
  const endIndex = parsePoundTree(doc).root.blocks.find((b) => b.index === plain.index)!.endIndex
  if (spec.redirectHttp) {
    const at = endIndex - 1
    insertLines(doc.lines, at, redirectLines(tree, spec, inner, unit), doc.lines[at].eol || eol)
    done.push(`301 to https for ${spec.hosts.join(', ')}`)
  }
  const end = parsePoundTree(doc).root.blocks.find((b) => b.index === plain.index)!.endIndex
  insertLines(doc.lines, end, https, doc.lines[end].eol || eol)
  if (moved.length > 0) placeLines(doc, end + https.length, moved)
  return {changed: true, summary: `ListenHTTPS ${formatEndpoint(statementValue(plain, 'ADDRESS') ?? '0.0.0.0', spec.port)} with Cert ${pem} beside ListenHTTP ${listenerLabel(plain)}${done.length > 0 ? `; ${done.join('; ')}` : ''}`}
}

export function removeTls(doc: PoundDocument, spec: TlsRemoveSpec): EditOutcome {
  const tree = parsePoundTree(doc)
  const listener = ourListener(doc, tree)
  if (!listener) return {changed: false, summary: 'no TLS listener of hactl in the config'}
  const certs = listener.statements.filter((s) => s.keyword === 'CERT')
  const mine = certs.filter((c) => hostCertificateName(c.words[1]?.value ?? '') === spec.name)
  if (mine.length === 0) return {changed: false, summary: `ListenHTTPS ${listenerLabel(listener)} does not serve ${spec.name}`}
  if (mine.length < certs.length) {
    for (const c of mine.reverse()) removeLines(doc.lines, c.index, 1)
    return {changed: true, summary: `ListenHTTPS ${listenerLabel(listener)} no longer serves ${spec.name}; it keeps ${certs.length - mine.length} other certificate(s)`}
  }

  // The last certificate: the moved Services go back, the redirects and the listener go.
  const done: string[] = []
  const movedStart = doc.lines.findIndex((l, i) => i > listener.endIndex && isMark(l, MOVED_MARK))
  const movedEnd = movedStart < 0 ? -1 : doc.lines.findIndex((l, i) => i > movedStart && isMark(l, MOVED_END))
  let back: Line[] = []
  if (movedEnd > 0) {
    back = doc.lines.slice(movedStart + 1, movedEnd).map((l) => ({...l}))
    removeLines(doc.lines, movedStart, movedEnd - movedStart + 1)
  }
  const start = listener.index - 1 > 0 && doc.lines[listener.index - 2].text === '' ? listener.index - 2 : listener.index - 1
  removeLines(doc.lines, start, listener.endIndex - start + 1)
  const left = (l: Line | undefined): boolean => isMark(l, LEFT_MARK) || isMark(l, LEFT_AS_WRITTEN)
  // The redirects sit in the plain listener, which kept no marker when it had no Services to move.
  const redirects = parsePoundTree(doc)
    .root.blocks.filter((b) => b.keyword === 'LISTENHTTP')
    .flatMap((b) => b.blocks.filter((r) => isRedirectService(r)))
    .sort((a, b) => b.index - a.index)
  for (const r of redirects) removeLines(doc.lines, r.index, r.endIndex - r.index + 1)
  const plain = parsePoundTree(doc).root.blocks.find((b) => b.keyword === 'LISTENHTTP' && doc.lines.slice(b.index, b.endIndex).some((l) => left(l)))
  const gone = redirects.length > 0 ? ', the redirects to https' : ''
  const at = doc.lines.findIndex((l) => left(l))
  if (at >= 0 && back.length > 0 && plain) {
    // Indented back by the marker's own step when it says they were dedented.
    const outer = indentation(doc.lines[plain.index].text)
    const unit = indentation(doc.lines[at].text).slice(outer.length)
    if (isMark(doc.lines[at], LEFT_MARK)) shift(back, outer, unit, false)
    back.at(-1)!.eol = doc.lines[at].eol
    doc.lines.splice(at, 1, ...back)
    done.push('put the Services back in ListenHTTP')
  } else if (back.length > 0) {
    // The marker is gone (edited by hand): the Services stay at the top level, where they serve ListenHTTP still.
    placeLines(doc, doc.lines.length - 1, back)
  }
  return {changed: true, summary: `removed the ListenHTTPS${gone}${done.length > 0 ? `; ${done.join('; ')}` : ''} (no certificate left)`}
}

export function listTls(doc: PoundDocument): TlsBinding[] {
  const out: TlsBinding[] = []
  for (const listener of parsePoundTree(doc).root.blocks.filter((b) => b.keyword === 'LISTENHTTPS')) {
    const port = Number(statementValue(listener, 'PORT')) || undefined
    for (const cert of listener.statements.filter((s) => s.keyword === 'CERT')) {
      const name = hostCertificateName(cert.words[1]?.value ?? '')
      if (name !== undefined) out.push({name, frontend: `ListenHTTPS ${listenerLabel(listener)}`, hosts: [], port, line: cert.index + 1})
    }
  }
  return out
}
