import {expect} from 'chai'

import {inTimeOrder, mergeSorted, ReorderWindow} from '../../../src/logs/merge.js'
import type {AccessRecord} from '../../../src/logs/record.js'

const rec = (time: number, proxy: string): AccessRecord => ({time, proxy, client: '127.0.0.1', method: 'GET', path: `/${proxy}/${time}`, proto: 'HTTP/1.1', status: 200, raw: ''})

describe('merging proxies\' logs', () => {
  it('merges sorted sources into one stream in time order, each record once, ties in source order', () => {
    const a = [rec(1, 'a'), rec(4, 'a'), rec(4, 'a'), rec(9, 'a')]
    const b = [rec(2, 'b'), rec(4, 'b'), rec(10, 'b')]
    const c: AccessRecord[] = []
    const d = [rec(0, 'd')]
    const out = [...mergeSorted([a, b, c, d])]
    expect(out.map((r) => `${r.proxy}${r.time}`)).to.deep.equal(['d0', 'a1', 'b2', 'a4', 'a4', 'b4', 'a9', 'b10'])
  })

  it('orders one file whose lines were written when requests ended (stable)', () => {
    const out = inTimeOrder([rec(5, 'a'), rec(3, 'x'), rec(5, 'b'), rec(4, 'a')])
    expect(out.map((r) => `${r.proxy}${r.time}`)).to.deep.equal(['x3', 'a4', 'a5', 'b5'])
  })

  it('when following, holds records for the window so a late line still takes its place; later than that it comes out at once and is counted', () => {
    const out: string[] = []
    const w = new ReorderWindow(100, (r) => out.push(`${r.proxy}${r.time}`))
    w.push(rec(1000, 'a'))
    w.push(rec(1050, 'b'))
    w.release(1080)
    expect(out).to.deep.equal([])
    w.push(rec(990, 'c'))
    w.release(1100)
    expect(out).to.deep.equal(['c990', 'a1000'])
    w.push(rec(995, 'd'))
    expect(out).to.deep.equal(['c990', 'a1000', 'd995'])
    expect(w.late).to.equal(1)
    w.flush()
    expect(out.at(-1)).to.equal('b1050')
  })
})
