import {expect} from 'chai'

import {freshCounter, observe, observeAll, type Counter} from '../../../src/health/rise-fall.js'

function run(results: (boolean | undefined)[], rise: number, fall: number): string[] {
  let counter: Counter = freshCounter(0)
  return results.map((ok, i) => {
    counter = observe(counter, ok, i, {rise, fall}).counter
    return counter.health
  })
}

describe('rise/fall', () => {
  const table: {name: string; results: (boolean | undefined)[]; rise: number; fall: number; expected: string[]}[] = [
    {name: 'a fresh target stays unknown until rise successes', results: [true, true], rise: 2, fall: 2, expected: ['unknown', 'healthy']},
    {name: 'a fresh target turns unhealthy after fall failures', results: [false, false], rise: 2, fall: 2, expected: ['unknown', 'unhealthy']},
    {name: 'one failure does not take a healthy target down at fall 2', results: [true, true, false, true], rise: 2, fall: 2, expected: ['unknown', 'healthy', 'healthy', 'healthy']},
    {name: 'fall consecutive failures take it down', results: [true, true, false, false], rise: 2, fall: 2, expected: ['unknown', 'healthy', 'healthy', 'unhealthy']},
    {name: 'a success in between resets the failure count', results: [true, false, true, false, false, false], rise: 1, fall: 3, expected: ['healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'unhealthy']},
    {name: 'recovery needs rise consecutive successes', results: [false, true, true, false, true, true, true], rise: 3, fall: 1, expected: ['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy']},
    {name: 'fall 1 and rise 1 follow every probe', results: [true, false, true], rise: 1, fall: 1, expected: ['healthy', 'unhealthy', 'healthy']},
    {name: 'a round with nothing observed changes nothing', results: [false, undefined, false], rise: 2, fall: 2, expected: ['unknown', 'unknown', 'unhealthy']},
  ]
  for (const row of table) {
    it(row.name, () => {
      expect(run(row.results, row.rise, row.fall)).to.deep.equal(row.expected)
    })
  }

  it('reports each transition once, with when it happened', () => {
    let counters: Record<string, Counter> = {}
    const seen: string[] = []
    for (const [now, ok] of [[1, false], [2, false], [3, false], [4, true], [5, true]] as const) {
      const step = observeAll(counters, {p1: ok}, now, {rise: 2, fall: 2})
      counters = step.counters
      for (const t of step.transitions) seen.push(`${now}:${t.from}->${t.to}`)
    }
    expect(seen).to.deep.equal(['2:unknown->unhealthy', '5:unhealthy->healthy'])
    expect(counters.p1.since).to.equal(5)
  })

  it('survives a round trip through JSON, as the state file stores it', () => {
    const step = observeAll({}, {a: true, b: false}, 10, {rise: 1, fall: 1})
    const again = observeAll(JSON.parse(JSON.stringify(step.counters)) as Record<string, Counter>, {a: true, b: false}, 11, {rise: 1, fall: 1})
    expect(again.transitions).to.deep.equal([])
    expect(again.counters.a).to.deep.include({health: 'healthy', successes: 2, since: 10})
  })
})
