import {expect} from 'chai'

import {ReorderWindow} from '../../../src/logs/merge.js'
import type {AccessRecord} from '../../../src/logs/record.js'
import {mergeSources, TextSource, Unparsed, WindowedSource, type RecordSource} from '../../../src/logs/source.js'

const rec = (time: number, proxy: string): AccessRecord => ({time, proxy, client: '127.0.0.1', method: 'GET', path: `/${proxy}/${time}`, proto: 'HTTP/1.1', status: 200, raw: ''})
const from = (records: AccessRecord[]): RecordSource => {
  let i = 0
  return {next: () => records[i++]}
}
const merged = (sources: RecordSource[]): string[] => {
  const out: string[] = []
  mergeSources(sources, (r) => out.push(`${r.proxy}${r.time}`))
  return out
}

describe("merging proxies' logs", () => {
  it('merges sorted sources into one stream in time order, each record once, ties in source order', () => {
    const a = [rec(1, 'a'), rec(4, 'a'), rec(4, 'a'), rec(9, 'a')]
    const b = [rec(2, 'b'), rec(4, 'b'), rec(10, 'b')]
    expect(merged([from(a), from(b), from([]), from([rec(0, 'd')])])).to.deep.equal(['d0', 'a1', 'b2', 'a4', 'a4', 'b4', 'a9', 'b10'])
  })

  it('orders a file whose lines were written when requests ended, within the window; beyond it a line stays where it is and is counted', () => {
    const source = new WindowedSource(from([rec(5, 'a'), rec(3, 'x'), rec(5, 'b'), rec(4, 'a'), rec(100, 'a'), rec(2, 'late'), rec(101, 'a')]), 10)
    expect(merged([source])).to.deep.equal(['x3', 'a4', 'a5', 'b5', 'late2', 'a100', 'a101'])
    expect(source.late).to.equal(1)
  })

  it('reads a log text line by line (CRLF too), counting the lines it cannot parse', () => {
    const unparsed = new Unparsed()
    const parse = (line: string): AccessRecord | undefined => (/^\d+$/.test(line) ? rec(Number(line), 'x') : undefined)
    const source = new TextSource('1\r\nnoise\n\n2\n3', parse, 'lb1', unparsed)
    expect(merged([source])).to.deep.equal(['lb11', 'lb12', 'lb13'])
    expect(unparsed.count).to.equal(1)
    expect(unparsed.lines).to.deep.equal([{proxy: 'lb1', line: 'noise'}])
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
