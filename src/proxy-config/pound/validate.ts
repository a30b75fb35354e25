/**
 * pound is not packaged for Debian bookworm, so hactl checks pound files
 * structurally: blocks closed by End, directives pound 2.x or 4.x knows,
 * back-ends with an address, ports between 1 and 65535. The result says
 * that the real `pound -c` did not run.
 */
import {isHactlError} from '../../errors.js'
import type {ValidateOptions, ValidationResult} from '../engine.js'
import {parsePound, parsePoundTree, type PoundBlock, type PoundTree} from './document.js'

// Directives of pound 2.x and 4.x (pound(8), pound.texi), upper-cased.
const KNOWN = new Set(
  `USER GROUP ROOTJAIL DAEMON LOGFACILITY LOGLEVEL LOGFORMAT LOGTAG ALIVE CONTROL DYNSCALE TIMEOUT CONNTO WSTIMEOUT IGNORECASE HEADREMOVE ADDHEADER
  SSLENGINE ECDHCURVE INCLUDE INCLUDEDIR PIDFILE THREADS WORKERMINCOUNT WORKERMAXCOUNT WORKERIDLETIMEOUT GRACE ANONYMISE ANONYMIZE SUPERVISOR
  BALANCER CLIENT RESOLVER CONFIGFILE CONFIGTEXT MODE RETRY RETRYINTERVAL DEBUG FOREGROUND REGEXTYPE HEADEROPTION TRUSTEDIP FORWARDEDHEADER
  COMBINEHEADERS BACKEND ACL LISTENHTTP LISTENHTTPS SERVICE ADDRESS PORT XHTTP CHECKURL ERR400 ERR401 ERR403 ERR404 ERR413 ERR414 ERR500
  ERR501 ERR503 ERRORFILE MAXREQUEST MAXURI REWRITELOCATION REWRITEDESTINATION REWRITEERRORS CERT CIPHERS SSLALLOWCLIENTRENEGOTIATION
  SSLHONORCIPHERORDER DISABLE NOHTTPS11 CALIST VERIFYLIST CRLLIST CLIENTCERT SOCKETFROM HEADERADD HEADERREMOVE HEADERREPLACE SETHEADER
  DELETEHEADER ACME URL HEADREQUIRE HEADDENY REDIRECT EMERGENCY SESSION DISABLED HOST PATH HEADER QUERY QUERYPARAM USE ERROR SENDFILE
  SETPATH SETURL SETQUERY SETQUERYPARAM REWRITE ELSE MATCH NOT LUAHANDLER METRICS BASICAUTH STRINGMATCH LOGSUPPRESS ALLOWEMPTY PRIORITY
  HAPORT HTTPS SERVERNAME RESOLVE CAFILE TYPE TTL ID NAMESERVER SEARCH CONFIGFILE RETRY NS DOMAIN SOCKET CHROOT ROOT CLIENTIP FILE
  IDENTITY INTERVAL THRESHOLD SWITCH`.split(/\s+/),
)

function check(tree: PoundTree): {line: number; message: string}[] {
  const problems: {line: number; message: string}[] = []
  const visit = (block: PoundBlock): void => {
    for (const s of [...block.statements, ...block.blocks]) {
      if (!KNOWN.has(s.keyword)) problems.push({line: s.index + 1, message: `unknown directive "${s.words[0].value}"`})
      if (s.keyword === 'PORT') {
        const port = s.words[1]?.value ?? ''
        if (!port.includes('${') && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535)) problems.push({line: s.index + 1, message: `"${port}" is not a port (1-65535)`})
      }
      if (s.keyword === 'ADDRESS' && !s.words[1]) problems.push({line: s.index + 1, message: 'Address needs a value'})
    }
    if ((block.keyword === 'BACKEND' || block.keyword === 'EMERGENCY') && !block.statements.some((s) => s.keyword === 'ADDRESS')) {
      problems.push({line: block.index + 1, message: `${block.words[0].value} has no Address`})
    }
    for (const child of block.blocks) visit(child)
  }
  visit(tree.root)
  return problems.sort((a, b) => a.line - b.line)
}

const VALIDATOR = 'structural (pound is not installed here)'

export async function validatePound(text: string, options: ValidateOptions): Promise<ValidationResult> {
  let tree: PoundTree
  try {
    tree = parsePoundTree(parsePound(text, options.file))
  } catch (error) {
    if (!isHactlError(error)) throw error
    return {ok: false, validator: VALIDATOR, output: error.located, line: error.location?.line}
  }
  const problems = check(tree)
  if (problems.length > 0) return {ok: false, validator: VALIDATOR, output: problems.map((p) => `${options.file}:${p.line}: ${p.message}`).join('\n'), line: problems[0].line}
  return {ok: true, validator: VALIDATOR, output: 'blocks, directives, addresses and ports are sound; pound -c did not run'}
}
