import {expect} from 'chai'

import {LineBuffer} from '../../../src/logs/output.js'

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
