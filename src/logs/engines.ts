/** Which parser reads an engine's access log. */
import type {EngineName} from '../cluster/schema.js'
import {parseHaproxy} from './haproxy.js'
import {nginxParser} from './nginx.js'
import {parsePound} from './pound.js'
import type {LineParser} from './record.js'

/**
 * perlbal has no access log of its own (Debian's perlbal 1.80 ships no access
 * log plugin); its lines are read as Apache combined, optionally after a
 * virtual host, which is what pound's reader accepts too.
 */
export function lineParser(engine: EngineName, config?: string): LineParser {
  switch (engine) {
    case 'haproxy':
      return parseHaproxy
    case 'nginx':
      return nginxParser(config)
    case 'pound':
    case 'perlbal':
      return parsePound
  }
}
