// The spec reporter, plus the stats written to HACTL_TEST_STATS so that
// scripts/test.mjs can end the whole run with one `N passed, N failed` line.
const fs = require('node:fs')
const Mocha = require('mocha')

const {Spec} = Mocha.reporters
const {EVENT_RUN_END} = Mocha.Runner.constants

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const {passes, failures, pending} = runner.stats
      const file = process.env.HACTL_TEST_STATS
      if (file) fs.writeFileSync(file, JSON.stringify({passes, failures, pending}))
      else process.stdout.write(`${passes} passed, ${failures} failed, ${pending} skipped\n`)
    })
  }
}

module.exports = SummaryReporter
