import {expect} from 'chai'

import {combined, vhostCombined, writer} from '../../../src/logs/format.js'
import {LineBuffer} from '../../../src/logs/output.js'
import type {AccessRecord} from '../../../src/logs/record.js'

describe('log output in chunks', () => {
  it('hands on whole lines in UTF-8, a line longer than the buffer on its own, and nothing is lost at the end', () => {
    const chunks: string[] = []
    const out = new LineBuffer((chunk) => chunks.push(chunk.toString('utf8')), 16)
    out.line('abc')
    out.line('é–😀')
    out.line('x'.repeat(40))
    out.line('z')
    out.flush()
    out.flush()
    expect(chunks.join('')).to.equal(`abc\né–😀\n${'x'.repeat(40)}\nz\n`)
    for (const c of chunks) expect(c.endsWith('\n')).to.equal(true)
  })
})

describe('combined written in place', () => {
  const base: AccessRecord = {time: Date.UTC(2026, 10, 28, 10, 32, 19, 752), client: '10.0.0.7', method: 'GET', path: '/a', proto: 'HTTP/1.1', status: 200, bytes: 512, raw: ''}
  const records: AccessRecord[] = [
    base,
    {...base, bytes: undefined, user: 'alice', referer: 'https://example.com/"x"', userAgent: 'curl\\8 "quoted"'},
    {...base, method: '-', proto: '-', path: '<BADREQ>'},
    {...base, path: '/é/😀/–?q="1"\\', client: '::1', status: 503, bytes: 0},
    {...base, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) ' + 'é'.repeat(40), bytes: 9_007_199_254_740_991},
    {...base, vhost: 'www.example.com', status: -1, bytes: -1},
  ]

  for (const [format, print] of [['combined', combined], ['vhost_combined', vhostCombined]] as const) {
    it(`gives the same bytes as the ${format} string, quotes and non-ASCII included, through a small buffer`, () => {
      const chunks: Buffer[] = []
      const out = new LineBuffer((chunk) => chunks.push(Buffer.from(chunk)), 32)
      const write = writer(format)
      for (const r of records) write(out, r)
      out.flush()
      expect(Buffer.concat(chunks).toString('utf8')).to.equal(records.map((r) => `${print(r)}\n`).join(''))
      for (const c of chunks) expect(c.toString('utf8').endsWith('\n')).to.equal(true)
    })
  }
})
