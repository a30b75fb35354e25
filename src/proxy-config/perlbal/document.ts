/**
 * A perlbal config is a list of management commands, one a line, case
 * insensitive: CREATE POOL/SERVICE open a context that later SET lines
 * apply to, POOL name ADD ip:port registers a node, VHOST (vhosts plugin)
 * and VPATH (vpaths plugin) route to services. Lines are kept verbatim;
 * this module reads their meaning.
 */
import {LineDocument, splitLines} from '../lines.js'

export class PerlbalDocument extends LineDocument {
  readonly engine = 'perlbal' as const
}

export function parsePerlbal(text: string, file: string): PerlbalDocument {
  return new PerlbalDocument(file, splitLines(text))
}

export interface Word {
  value: string
  start: number
  end: number
}

export function words(text: string): Word[] {
  const out: Word[] = []
  for (const m of text.matchAll(/\S+/g)) out.push({value: m[0], start: m.index, end: m.index + m[0].length})
  return out
}

/** A node hactl took out of service: its ADD line kept behind this marker so enable restores it. */
export const DISABLED_MARK = '# disabled: '
const DISABLED = /^([ \t]*)# disabled: (.*)$/

export interface PoolNode {
  pool: string
  index: number
  /** The `ip:port` word as written, and where it sits in the line. */
  endpoint: Word
  disabled: boolean
}

export interface Pool {
  name: string
  index: number
  nodefile?: string
  nodes: PoolNode[]
}

export interface Service {
  name: string
  index: number
  /** Index of the last line that belongs to the service's CREATE … SET block. */
  lastSet: number
  settings: Map<string, string>
  enableIndex?: number
}

export interface Route {
  kind: 'host' | 'path'
  index: number
  selector: string
  match: string
  /** The word holding the target service. */
  target: Word
}

export interface Model {
  pools: Pool[]
  services: Service[]
  routes: Route[]
  /** Lines that run a command, for structural checks: [index, upper-cased words]. */
  commands: {index: number; words: Word[]}[]
}

const SET = /^SET\s+(?:(\S+)\.)?(\S+?)\s*=\s*(.*?)\s*$/i

export function readModel(doc: PerlbalDocument): Model {
  const model: Model = {pools: [], services: [], routes: [], commands: []}
  const pools = new Map<string, Pool>()
  const services = new Map<string, Service>()
  let context: Pool | Service | undefined
  const pool = (name: string): Pool => {
    let p = pools.get(name)
    if (!p) {
      p = {name, index: -1, nodes: []}
      pools.set(name, p)
    }
    return p
  }
  doc.lines.forEach((line, index) => {
    const disabled = DISABLED.exec(line.text)
    const body = disabled ? disabled[2] : line.text.trim()
    if (body === '' || (!disabled && body.startsWith('#'))) return
    const offset = disabled ? disabled[1].length + DISABLED_MARK.length : line.text.length - line.text.trimStart().length
    const ws = words(body).map((w) => ({...w, start: w.start + offset, end: w.end + offset}))
    const upper = ws.map((w) => w.value.toUpperCase())
    if (disabled) {
      if (upper[0] === 'POOL' && upper[2] === 'ADD' && ws[3]) pool(ws[1].value).nodes.push({pool: ws[1].value, index, endpoint: ws[3], disabled: true})
      return
    }
    model.commands.push({index, words: ws})
    if (upper[0] === 'CREATE' && upper[1] === 'POOL' && ws[2]) {
      context = pool(ws[2].value)
      context.index = index
      if (!model.pools.includes(context)) model.pools.push(context)
    } else if (upper[0] === 'CREATE' && upper[1] === 'SERVICE' && ws[2]) {
      const service: Service = {name: ws[2].value, index, lastSet: index, settings: new Map()}
      services.set(service.name, service)
      model.services.push(service)
      context = service
    } else if (upper[0] === 'POOL' && ws[1] && upper[2] === 'ADD' && ws[3]) {
      pool(ws[1].value).nodes.push({pool: ws[1].value, index, endpoint: ws[3], disabled: false})
    } else if (upper[0] === 'POOL' && ws[1] && upper[2] === 'REMOVE' && ws[3]) {
      const p = pool(ws[1].value)
      p.nodes = p.nodes.filter((n) => n.endpoint.value !== ws[3].value)
    } else if (upper[0] === 'SET') {
      const set = SET.exec(body)
      if (!set) return
      const [, target, key, value] = set
      const owner = target ? (services.get(target) ?? pools.get(target)) : context
      if (owner && 'settings' in owner) {
        owner.settings.set(key.toLowerCase(), value)
        owner.lastSet = index
      } else if (owner && key.toLowerCase() === 'nodefile') owner.nodefile = value
    } else if (upper[0] === 'ENABLE' && ws[1]) {
      const service = services.get(ws[1].value)
      if (service) service.enableIndex = index
    } else if ((upper[0] === 'VHOST' || upper[0] === 'VPATH') && ws.length >= 4) {
      // VHOST [service] host = target; without a service the current one selects.
      const eq = upper.indexOf('=')
      const selector = eq === 3 ? ws[1].value : context && 'settings' in context ? context.name : ''
      const match = ws[eq - 1]
      const target = ws[eq + 1]
      if (eq >= 2 && match && target) model.routes.push({kind: upper[0] === 'VHOST' ? 'host' : 'path', index, selector, match: match.value, target})
    }
  })
  for (const p of pools.values()) if (!model.pools.includes(p)) model.pools.push(p)
  return model
}
