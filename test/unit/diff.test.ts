import {expect} from 'chai'
import {applyPatch, createTwoFilesPatch} from 'diff'
import fc from 'fast-check'

import {anchoredDiff, unifiedDiff} from '../../src/diff.js'

const line = fc.constantFrom('', 'a', 'b', 'server x 10.0.0.1:80', '    server y 10.0.0.2:80', '# c', '}', 'a\r')
const text = fc.tuple(fc.array(line, {maxLength: 30}), fc.boolean()).map(([lines, final]) => lines.join('\n') + (final && lines.length > 0 ? '\n' : ''))

describe('unified diffs', () => {
  it('the anchored diff of any two texts, applied to the first, gives the second', () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        if (before === after) return
        expect(applyPatch(before, anchoredDiff('f', before, after))).to.equal(after)
      }),
      {numRuns: 1000},
    )
  })

  it('diffing only what lies between the common head and tail gives a patch that applies and is as small as the library\'s own', () => {
    const changed = (patch: string): number => patch.split('\n').filter((l) => /^[+-](?![+-]{2} [ab]\/)/.test(l)).length
    fc.assert(
      fc.property(text, text, (before, after) => {
        if (before === after) return
        const patch = unifiedDiff('f', before, after)
        expect(applyPatch(before, patch)).to.equal(after)
        expect(changed(patch)).to.equal(changed(createTwoFilesPatch('a/f', 'b/f', before, after, undefined, undefined, {context: 3})))
      }),
      {numRuns: 2000},
    )
  })

  it('a 10k-server churn is diffed in seconds, not the minute a minimal diff takes, and the patch applies', () => {
    const server = (i: number): string => `    server i-${i} 10.0.${i >> 8}.${i & 255}:8080 check\n`
    const before = `backend app\n${Array.from({length: 10_000}, (_, i) => server(i)).join('')}`
    const after = `backend app\n${Array.from({length: 10_000}, (_, i) => server(i + 5000)).join('')}`
    const t0 = Date.now()
    const patch = unifiedDiff('haproxy.cfg', before, after)
    expect(Date.now() - t0).to.be.below(5000)
    expect(patch.split('\n').filter((l) => l.startsWith('-    server')).length).to.equal(5000)
    expect(applyPatch(before, patch)).to.equal(after)
  })

  it('one line added in the middle of a 10k-line file: one hunk with three lines of context, numbered from the file\'s start', () => {
    const server = (i: number): string => `    server web${i} 10.0.${i >> 8}.${i & 255}:8080 check\n`
    const lines = Array.from({length: 10_000}, (_, i) => server(i))
    const before = lines.join('')
    const after = [...lines.slice(0, 5000), '    server new 192.0.2.10:8080 check\n', ...lines.slice(5000)].join('')
    const patch = unifiedDiff('haproxy.cfg', before, after)
    expect(patch.split('\n').slice(2)).to.deep.equal([
      '@@ -4998,6 +4998,7 @@',
      ...lines.slice(4997, 5000).map((l) => ` ${l.trimEnd()}`),
      '+    server new 192.0.2.10:8080 check',
      ...lines.slice(5000, 5003).map((l) => ` ${l.trimEnd()}`),
      '',
    ])
    expect(applyPatch(before, patch)).to.equal(after)
  })
})
