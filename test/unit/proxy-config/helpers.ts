import {expect} from 'chai'

import {HactlError} from '../../../src/errors.js'

/** The HactlError fn throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): HactlError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(HactlError)
    return error as HactlError
  }
  throw new Error('expected an error')
}

/**
 * The lines `after` has in one run on top of `before`, when that is the
 * only difference (a pure insertion); undefined otherwise.
 */
export function insertedLines(before: string, after: string): string[] | undefined {
  const a = before.split('\n')
  const b = after.split('\n')
  if (b.length < a.length) return undefined
  let head = 0
  while (head < a.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  if (head + tail < a.length) return undefined
  return b.slice(head, b.length - tail)
}
