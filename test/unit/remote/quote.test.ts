import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import fc from 'fast-check'

import {fillCommand, quote, quoteArgv} from '../../../src/remote/quote.js'

/** What a real POSIX shell makes of the text: each word on its own line. */
function shellWords(text: string): string[] {
  return execFileSync('sh', ['-c', `for w in ${text}; do printf '%s\\0' "$w"; done`], {encoding: 'utf8'}).split('\0').slice(0, -1)
}

describe('shell quoting', () => {
  it('any string survives a real shell as one word, byte for byte', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.integer({min: 1, max: 255}).map((c) => String.fromCharCode(c)), minLength: 1}), (value) => {
        expect(shellWords(quote(value))).to.deep.equal([value])
      }),
      {numRuns: 150},
    )
  })

  it('metacharacters in a path never run: $(...), backticks, ;, quotes, globs', () => {
    const nasty = `/tmp/it's a $(touch pwned) \`id\`; rm -rf / * "x" \n|&>`
    expect(shellWords(quoteArgv(['cp', nasty]))).to.deep.equal(['cp', nasty])
  })

  it('fills {file} in an operator command with a quoted path and keeps the operator\'s own shell text', () => {
    expect(fillCommand('haproxy -c -f {file} && echo ok', {file: '/etc/a b/x;y.cfg'})).to.equal(`haproxy -c -f '/etc/a b/x;y.cfg' && echo ok`)
    expect(fillCommand('echo {other}', {file: 'x'})).to.equal('echo {other}')
  })

  it('refuses a NUL byte, which no shell word can hold', () => {
    expect(() => quote('a\0b')).to.throw(/NUL/)
  })
})
