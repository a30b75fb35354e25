import {expect} from 'chai'
import fc from 'fast-check'

import {combined, json, vhostCombined} from '../../../src/logs/format.js'
import {parseHaproxy} from '../../../src/logs/haproxy.js'
import {field} from '../../../src/logs/record.js'

// The vhost is read in place (and shared between lines) rather than sliced per line; these hold it to the rule it had:
// field() of the first capture, up to the first `|` or the closing brace, or to the line's last character but one with no brace.
function vhostBySlice(line: string): string | undefined {
  const open = line.indexOf('"')
  const brace = line.indexOf('{')
  if (brace < 0 || brace > open) return undefined
  let end = brace + 1
  let bar = -1
  for (; end < line.length; end++) {
    const c = line.charCodeAt(end)
    if (c === 125) break
    if (c === 124 && bar < 0) bar = end
  }
  return field(end < line.length ? line.slice(brace + 1, bar >= 0 ? bar : end) : line.slice(brace + 1, line.length - 1))
}

const captureChar = fc.constantFrom('a', 'w', '.', ':', '-', '|', '1', '}', ' ', 'é', 'x')
const capture = fc.oneof(fc.constant(''), fc.constant('-'), fc.constant('-|x'), fc.constant('|'), fc.string({unit: captureChar, maxLength: 40}), fc.constantFrom('www.sandbox.test', 'a-very-long-virtual-host.example.test:8443'))
const request = fc.constantFrom('"GET /a?b=1 HTTP/1.1"', '"<BADREQ>"', '"GET https://h.example/p HTTP/2.0"', '"POST /x"')

describe('haproxy vhost capture (property)', () => {
  it('reads the first capture as before, for any capture text, and formats the same lines', () => {
    fc.assert(
      fc.property(capture, fc.boolean(), request, (text, closed, req) => {
        const line = `127.0.0.1:44928 [28/Nov/2026:10:32:19.752] www web/s1 0/0/0/13/13 404 500 - - ---- 1/1/0/0/0 0/0 {${text}${closed ? '}' : ''} ${req}`
        const r = parseHaproxy(line)
        if (!r) return
        const expected = vhostBySlice(line)
        // An absolute-form request names the vhost only when no capture does.
        if (expected !== undefined || !req.includes('://')) expect(r.vhost).to.equal(expected)
        // Read twice (the second from the recent-words cache): the same record and output.
        const again = parseHaproxy(line)
        expect(again).to.deep.equal(r)
        expect([combined(again!), vhostCombined(again!), json(again!)]).to.deep.equal([combined(r), vhostCombined(r), json(r)])
      }),
      {numRuns: 2000},
    )
  })
})
