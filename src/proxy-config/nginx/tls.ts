/**
 * TLS for nginx: in each server block that serves the certificate's hosts,
 * `listen ADDR:443 ssl`, `ssl_certificate`/`ssl_certificate_key` on the one
 * PEM (certificate, chain and key), `ssl_protocols`; optionally a 301 to
 * https for plain requests. nginx reads relative paths from the folder of the
 * config given with -c, so `hactl-tls/NAME.pem` sits beside the config.
 */
import {UsageError} from '../../errors.js'
import type {EditOutcome} from '../engine.js'
import {certificateName, certificatePath, nameCovers, withPort, type TlsBinding, type TlsRemoveSpec, type TlsSpec} from '../tls.js'
import {type Block, childDirectives, childIndent, type Directive, directiveArgs, directiveName, insertAfter, type NginxDocument, parseSnippet, removeAt, walk} from './document.js'
import {indentUnit, serverBlocks, type ServerBlock} from './model.js'

const CERT_DIRECTIVES = new Set(['ssl_certificate', 'ssl_certificate_key'])
const REDIRECT_RETURN = 'return 301 https://$host$request_uri;'

/** Server blocks and locations only: upstream blocks (10k servers) are stepped over unparsed. */
function blocksOf(doc: NginxDocument): {blocks: ServerBlock[]; unit: string} {
  const visits = walk(
    doc,
    (d) => ['server', 'location', 'http'].includes(directiveName(d)),
    (d) => directiveName(d) !== 'upstream',
  )
  return {blocks: serverBlocks(visits), unit: indentUnit(visits)}
}

function servesHost(block: ServerBlock, host: string): boolean {
  return block.names.some((n) => nameCovers(n, host) || n.toLowerCase() === host.toLowerCase())
}

function pick(doc: NginxDocument, blocks: ServerBlock[], spec: TlsSpec): ServerBlock[] {
  if (spec.frontend !== undefined) {
    const named = blocks.filter((b) => b.names.includes(spec.frontend!) || b.label === spec.frontend)
    if (named.length === 0) throw new UsageError(`${doc.file} has no server block for "${spec.frontend}"`, {actions: [`Server blocks: ${blocks.map((b) => b.label).join(', ') || 'none'}.`]})
    return named
  }
  const matching = blocks.filter((b) => spec.hosts.some((h) => servesHost(b, h)))
  if (matching.length > 0) return matching
  if (blocks.length === 1 && blocks[0].names.length === 0) return blocks
  throw new UsageError(`${doc.file} has no server block for ${spec.hosts.join(', ')}`, {
    actions: [
      blocks.length > 0 ? `Server blocks: ${blocks.map((b) => b.label).join(', ')}; pass --frontend with one, or --hosts with names they serve.` : 'Add a server block first.',
      'Or route a host first (hactl route add --host NAME BACKEND), which writes its server block.',
    ],
  })
}

function isRedirect(d: Directive): boolean {
  if (directiveName(d) !== 'if' || directiveArgs(d).join(' ') !== '($scheme = http)' || !d.block) return false
  const inner = childDirectives(d.block)
  return inner.length === 1 && `${directiveName(inner[0])} ${directiveArgs(inner[0]).join(' ')};` === REDIRECT_RETURN
}

function isSslListen(d: Directive): boolean {
  return directiveName(d) === 'listen' && directiveArgs(d).includes('ssl')
}

/** Insert each new directive after the one before it, the first after `anchor`. */
function insertChain(block: Block, anchor: Directive, nodes: Directive[], eol: string): void {
  let at = anchor
  for (const node of nodes) {
    insertAfter(block, block.items.indexOf(at), node, eol)
    at = node
  }
}

export function addTls(doc: NginxDocument, spec: TlsSpec): EditOutcome {
  const {blocks, unit} = blocksOf(doc)
  const targets = pick(doc, blocks, spec)
  const file = certificatePath(spec.name)
  const eol = doc.eol()
  const done: string[] = []
  for (const server of targets) {
    const children = childDirectives(server.block)
    const certs = children.filter((d) => CERT_DIRECTIVES.has(directiveName(d)))
    const other = certs.find((d) => directiveArgs(d)[0] !== file)
    if (other) {
      throw new UsageError(`the server block ${server.label} in ${doc.file} already serves ${directiveArgs(other)[0]}`, {
        actions: [`Remove that certificate first (hactl tls remove ${certificateName(directiveArgs(other)[0] ?? '') ?? 'NAME'}, or by hand), or pass --frontend to pick another block.`],
      })
    }
    const listens = children.filter((d) => directiveName(d) === 'listen')
    const anchor = listens.at(-1) ?? children.find((d) => directiveName(d) === 'server_name') ?? children[0]
    const nodes: Directive[] = []
    if (certs.length === 0) {
      if (!listens.some(isSslListen)) {
        const plain = listens.find((d) => !isSslListen(d))
        nodes.push(parseSnippet(`listen ${plain ? withPort(directiveArgs(plain)[0] ?? '80', spec.port) : String(spec.port)} ssl;`))
      }
      nodes.push(parseSnippet(`ssl_certificate ${file};`), parseSnippet(`ssl_certificate_key ${file};`))
      nodes.push(parseSnippet(`ssl_protocols ${spec.minVersion === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2 TLSv1.3'};`))
      if (spec.ciphers) nodes.push(parseSnippet(`ssl_ciphers ${JSON.stringify(spec.ciphers)};`))
      done.push(`TLS in ${server.label}`)
    }
    if (spec.redirectHttp && !children.some(isRedirect)) {
      const indent = childIndent(server.block) ?? unit
      nodes.push(parseSnippet(`if ($scheme = http) {${eol}${indent}${unit}${REDIRECT_RETURN}${eol}${indent}}`))
      done.push(`http → https redirect in ${server.label}`)
    }
    if (nodes.length === 0) continue
    if (!anchor) throw new UsageError(`the server block ${server.label} in ${doc.file} is empty`, {actions: ['Give it a listen line first.']})
    insertChain(server.block, anchor, nodes, eol)
  }
  if (done.length === 0) return {changed: false, summary: `${targets.map((b) => b.label).join(', ')} already serve${targets.length === 1 ? 's' : ''} ${file}`}
  return {changed: true, summary: `${done.join('; ')} (${file})`}
}

export function removeTls(doc: NginxDocument, spec: TlsRemoveSpec): EditOutcome {
  const {blocks} = blocksOf(doc)
  const file = certificatePath(spec.name)
  const done: string[] = []
  for (const server of blocks) {
    const children = childDirectives(server.block)
    const ours = children.filter((d) => CERT_DIRECTIVES.has(directiveName(d)) && directiveArgs(d)[0] === file)
    if (ours.length === 0) continue
    const othersLeft = children.some((d) => CERT_DIRECTIVES.has(directiveName(d)) && directiveArgs(d)[0] !== file)
    const gone = [...ours]
    if (!othersLeft) {
      gone.push(...children.filter((d) => (isSslListen(d) && directiveArgs(d).length === 2) || ['ssl_protocols', 'ssl_ciphers'].includes(directiveName(d)) || isRedirect(d)))
    }
    for (const d of gone) removeAt(server.block, server.block.items.indexOf(d))
    done.push(server.label)
  }
  if (done.length === 0) return {changed: false, summary: `no server block serves ${file}`}
  return {changed: true, summary: `removed ${file} from ${done.join(', ')}`}
}

export function listTls(doc: NginxDocument): TlsBinding[] {
  const out: TlsBinding[] = []
  for (const server of blocksOf(doc).blocks) {
    const children = childDirectives(server.block)
    const listen = children.find(isSslListen)
    const port = listen ? Number(/(\d+)$/.exec(directiveArgs(listen)[0] ?? '')?.[1]) || undefined : undefined
    for (const d of children) {
      if (directiveName(d) !== 'ssl_certificate') continue
      const name = certificateName(directiveArgs(d)[0] ?? '')
      if (name) out.push({name, frontend: server.label, hosts: server.names, port, line: server.visit.line})
    }
  }
  return out
}
