/** The rule a route command is about: --host or --path (exactly one), in --frontend, to BACKEND. */
import {Args, Flags} from '@oclif/core'

import type {RouteSpec} from '../proxy-config/engine.js'

export const routeArgs = {
  backend: Args.string({required: true, description: 'The backend the requests go to.'}),
}

export const routeFlags = {
  frontend: Flags.string({summary: 'Frontend (or listen section) holding the rule; needed when there are several.'}),
  host: Flags.string({summary: 'Match requests for this Host header (case-insensitive).', exactlyOne: ['host', 'path']}),
  path: Flags.string({summary: 'Match requests whose path starts with this prefix.', exactlyOne: ['host', 'path']}),
}

export function routeSpec(flags: {frontend?: string; host?: string; path?: string}, backend: string, create = false): RouteSpec {
  return flags.host === undefined
    ? {frontend: flags.frontend, kind: 'path', match: flags.path ?? '', backend, create}
    : {frontend: flags.frontend, kind: 'host', match: flags.host, backend, create}
}
